package loadtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// KillSlack is how long after a kill a POST the killed runtime sent may still be seen
// arriving by a subscriber (bytes already on the wire, a busy subscriber). Another runtime
// cannot POST a delivery of the killed batch that soon: the killed runtime's lease holds it.
const KillSlack = 250 * time.Millisecond

// Inputs is everything a report is computed from: what was sent, what the subscribers
// received, what the stores and DLQs hold after the run, and what was killed.
type Inputs struct {
	Knobs Knobs
	// SubscriptionIDs maps each subscriber's name to its subscription id.
	SubscriptionIDs map[string]string
	Sends           []Send
	Arrivals        []Arrival
	Events          []store.Event
	Deliveries      []store.Delivery
	Subscriptions   []store.Subscription
	EventsDLQ       []string
	DeliveriesDLQ   []string
	Kills           []Kill
	SendStart       time.Time
	SendEnd         time.Time
	End             time.Time
	Drained         bool
	Functions       map[string]FunctionTiming
	Calls           map[CallKey]CallTiming
}

// SubscriberReport is what became of the deliveries one subscriber should have had.
type SubscriberReport struct {
	Name string
	// Expected deliveries: one per stored event its filters match, processed while it was active.
	Expected int
	// Delivered counts distinct webhook-ids the subscriber answered 2xx.
	Delivered int
	Exhausted int
	// Failed deliveries were ended with a recorded reason (subscription disabled, 410).
	Failed int
	InDLQ  int
	// Live deliveries were still pending or retrying when the run ended.
	Live int
	Lost int
	// NotExpected events were processed after the subscription was disabled.
	NotExpected   int
	POSTs         int
	Answered2xx   int
	Duplicate2xx  int
	BadSignatures int
	EndToEnd      Durations
	// Reasons counts the recorded reasons of exhausted and failed deliveries.
	Reasons map[string]int
}

// Duplicate is a webhook-id a subscriber answered 2xx more than once.
type Duplicate struct {
	Subscriber string
	WebhookID  string
	DeliveryID string
	EventID    string
	Arrivals   []time.Time
	// Allowed of the extra POSTs are explained by a killed runtime that had this delivery's
	// POST in flight; the rest are beyond the allowance.
	Allowed int
	Kills   []int
}

// Beyond is how many extra 2xx POSTs no kill explains.
func (d Duplicate) Beyond() int { return len(d.Arrivals) - 1 - d.Allowed }

// InFlightPOST is a POST a killed runtime had sent when it was killed.
type InFlightPOST struct {
	Subscriber string
	WebhookID  string
	DeliveryID string
	At         time.Time
	Status     int
}

// KillReport is one kill with the POSTs its runtime had in flight (the allowance it makes)
// and the duplicates it explains.
type KillReport struct {
	Kill
	InFlight   []InFlightPOST
	Allowance  int
	Duplicates int
}

// Lost is an accepted event, or a delivery of one, that is neither delivered, ended with a
// recorded reason, nor in a DLQ.
type Lost struct {
	Kind       string
	ID         string
	EventID    string
	Subscriber string
	Reason     string
}

// Stage is one leg of the end-to-end time.
type Stage struct {
	Name string
	Durations
}

// Report is a run's outcome.
type Report struct {
	Knobs            Knobs
	Requests         int
	AcceptedRequests int
	RejectedRequests int
	RetriedRequests  int
	Rejections       map[string]int
	// Accepted events (a Mandrill request carries several), Stored of them found stored.
	Accepted        int
	Stored          int
	Derived         int
	Processed       int
	EventsInDLQ     int
	DeliveriesInDLQ int
	Subscribers     []SubscriberReport
	Duplicates      []Duplicate
	// DuplicatesAllowed extra 2xx POSTs are within the kill allowance; DuplicatesBeyond are not.
	DuplicatesAllowed int
	DuplicatesBeyond  int
	Kills             []KillReport
	Lost              []Lost
	BadSignatures     int
	Ingest            Durations
	EndToEnd          Durations
	Stages            []Stage
	EventsPerSecond   float64
	DeliveredPerSec   float64
	SendStart         time.Time
	SendTime          time.Duration
	Elapsed           time.Duration
	Drained           bool
	Functions         map[string]FunctionTiming
	Calls             map[CallKey]CallTiming
	// PostTime sums the deliver function's POSTs (from the attempt logs).
	PostTime time.Duration
}

// Failures lists why the run fails; none means it passed.
func (r Report) Failures() []string {
	var out []string
	if n := len(r.Lost); n > 0 {
		out = append(out, fmt.Sprintf("%d lost", n))
	}
	if r.DuplicatesBeyond > 0 {
		out = append(out, fmt.Sprintf("%d duplicate 2xx POSTs beyond the kill allowance", r.DuplicatesBeyond))
	}
	if r.BadSignatures > 0 {
		out = append(out, fmt.Sprintf("%d POSTs with a bad signature", r.BadSignatures))
	}
	if !r.Drained {
		out = append(out, "the run did not drain within the wall-time cap")
	}
	return out
}

// Matches reports whether a subscription with filters receives an event of type typ:
// exact, "prefix.*" or "*".
func Matches(filters []string, typ string) bool {
	for _, f := range filters {
		if f == "*" || f == typ {
			return true
		}
		if prefix, ok := strings.CutSuffix(f, "*"); ok && strings.HasSuffix(prefix, ".") && strings.HasPrefix(typ, prefix) && len(typ) > len(prefix) {
			return true
		}
	}
	return false
}

// Compute derives the report from what the run saw.
func Compute(in Inputs) Report {
	r := Report{Knobs: in.Knobs, Drained: in.Drained, Functions: in.Functions, Calls: in.Calls, Rejections: map[string]int{},
		SendStart: in.SendStart, SendTime: in.SendEnd.Sub(in.SendStart), Elapsed: in.End.Sub(in.SendStart)}
	t := newTally(in)
	t.sends(&r)
	t.events(&r)
	var e2e []time.Duration
	delivered := 0
	for _, spec := range in.Knobs.Subscribers {
		sr, subE2E := t.subscriber(&r, spec)
		e2e = append(e2e, subE2E...)
		delivered += sr.Delivered
		r.Subscribers = append(r.Subscribers, sr)
	}
	r.EndToEnd = Summarize(e2e)
	r.Stages = []Stage{
		{Name: "received → delivery created (events queue, process)", Durations: Summarize(t.stages[0])},
		{Name: "created → successful attempt (deliveries queue, deliver, retries)", Durations: Summarize(t.stages[1])},
		{Name: "attempt recorded → arrival (deliver reads, decrypt, slot, POST)", Durations: Summarize(t.stages[2])},
	}
	if r.SendTime > 0 {
		r.EventsPerSecond = float64(r.Accepted) / r.SendTime.Seconds()
	}
	if d := t.lastDelivered.Sub(in.SendStart); d > 0 {
		r.DeliveredPerSec = float64(delivered) / d.Seconds()
	}
	r.Duplicates, r.Kills = duplicates(in, t.ok2xx, t.byID)
	for _, d := range r.Duplicates {
		r.DuplicatesAllowed += d.Allowed
		r.DuplicatesBeyond += d.Beyond()
	}
	return r
}
