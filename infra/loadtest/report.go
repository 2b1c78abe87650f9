package loadtest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
)

// KillSlack is how long after a kill a POST the killed runtime sent may still reach a
// subscriber (bytes already on the wire).
const KillSlack = time.Second

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

type subWID struct{ sub, wid string }

// Compute derives the report from what the run saw.
func Compute(in Inputs) Report {
	r := Report{Knobs: in.Knobs, Drained: in.Drained, Functions: in.Functions, Calls: in.Calls,
		SendStart: in.SendStart, SendTime: in.SendEnd.Sub(in.SendStart), Elapsed: in.End.Sub(in.SendStart), Rejections: map[string]int{}}
	accepted, answeredAt := tallySends(&r, in.Sends)

	events := map[string]store.Event{}
	for _, e := range in.Events {
		events[e.ID] = e
	}
	eventsDLQ, deliveriesDLQ := set(in.EventsDLQ), set(in.DeliveriesDLQ)
	for _, id := range sortedKeys(accepted) {
		if _, ok := events[id]; ok {
			r.Stored++
		} else {
			r.Lost = append(r.Lost, Lost{Kind: "event", ID: id, EventID: id, Reason: "accepted, never stored"})
		}
	}
	sortedEvents := slices.Clone(in.Events)
	slices.SortFunc(sortedEvents, func(a, b store.Event) int { return cmp.Compare(a.ID, b.ID) })
	for _, e := range sortedEvents {
		if !accepted[e.ID] {
			r.Derived++
		}
		switch {
		case e.Status == store.StatusProcessed:
			r.Processed++
		case eventsDLQ[e.ID]:
			r.EventsInDLQ++
		default:
			r.Lost = append(r.Lost, Lost{Kind: "event", ID: e.ID, EventID: e.ID, Reason: "stored, never processed (" + e.Status + ")"})
		}
	}

	ok2xx := map[subWID][]Arrival{}
	for _, a := range in.Arrivals {
		if !a.SignatureOK {
			r.BadSignatures++
		}
		if a.Status/100 == 2 {
			k := subWID{a.Subscriber, a.WebhookID}
			ok2xx[k] = append(ok2xx[k], a)
		}
	}
	for k := range ok2xx {
		slices.SortFunc(ok2xx[k], func(a, b Arrival) int { return a.At.Compare(b.At) })
	}

	byEventSub := map[[2]string]store.Delivery{}
	byID := map[string]store.Delivery{}
	for _, d := range in.Deliveries {
		if d.Replay == 0 {
			byEventSub[[2]string{d.EventID, d.SubscriptionID}] = d
		}
		byID[d.ID] = d
		for _, a := range d.Attempts {
			r.PostTime += time.Duration(a.LatencyMS) * time.Millisecond
		}
	}
	subs := map[string]store.Subscription{}
	for _, s := range in.Subscriptions {
		subs[s.ID] = s
	}

	var e2e []time.Duration
	var stages [3][]time.Duration
	lastDelivered := in.SendStart
	delivered := 0
	for _, spec := range in.Knobs.Subscribers {
		subID := in.SubscriptionIDs[spec.Name]
		sr := SubscriberReport{Name: spec.Name, Reasons: map[string]int{}}
		var subE2E []time.Duration
		for _, e := range sortedEvents {
			if !Matches(spec.Filters, e.Type) {
				continue
			}
			d, has := byEventSub[[2]string{e.ID, subID}]
			wid := delivery.MessageID(e.ID, subID)
			if got := ok2xx[subWID{spec.Name, wid}]; len(got) > 0 {
				sr.Expected++
				sr.Delivered++
				first := got[0]
				if first.At.After(lastDelivered) {
					lastDelivered = first.At
				}
				if at, ok := answeredAt[e.ID]; ok {
					subE2E = append(subE2E, first.At.Sub(at))
					if has {
						legs(&stages, e, d, first)
					}
				}
				continue
			}
			lost := func(reason string) {
				sr.Lost++
				r.Lost = append(r.Lost, Lost{Kind: "delivery", ID: d.ID, EventID: e.ID, Subscriber: spec.Name, Reason: reason})
			}
			if !has {
				sub, known := subs[subID]
				switch {
				case e.Status != store.StatusProcessed:
					// counted once, as the event
				case known && !sub.Active && !e.ProcessedAt.Before(sub.UpdatedAt):
					sr.NotExpected++
				default:
					sr.Expected++
					lost("no delivery created for a processed event")
				}
				continue
			}
			sr.Expected++
			switch d.Status {
			case store.DeliveryExhausted:
				if reason := lastAttempt(d); reason != "" {
					sr.Exhausted++
					sr.Reasons["exhausted: "+reason]++
				} else {
					lost("exhausted without an attempt")
				}
			case store.DeliveryFailed:
				reason := lastAttempt(d)
				if sub := subs[subID]; sub.DisabledReason != "" {
					reason = "subscription disabled: " + sub.DisabledReason
				} else if sub.ID != "" && !sub.Active {
					reason = "subscription inactive"
				}
				if reason != "" {
					sr.Failed++
					sr.Reasons["failed: "+reason]++
				} else {
					lost("failed without a recorded reason")
				}
			case store.DeliveryDelivered:
				lost("marked delivered, but the subscriber never answered it 2xx")
			default:
				if deliveriesDLQ[d.ID] {
					sr.InDLQ++
					r.DeliveriesInDLQ++
				} else {
					sr.Live++
					lost("still " + d.Status + " when the run ended")
				}
			}
		}
		for _, a := range in.Arrivals {
			if a.Subscriber != spec.Name {
				continue
			}
			sr.POSTs++
			if !a.SignatureOK {
				sr.BadSignatures++
			}
			if a.Status/100 == 2 {
				sr.Answered2xx++
			}
		}
		for k, got := range ok2xx {
			if k.sub == spec.Name {
				sr.Duplicate2xx += len(got) - 1
			}
		}
		sr.EndToEnd = Summarize(subE2E)
		e2e = append(e2e, subE2E...)
		delivered += sr.Delivered
		r.Subscribers = append(r.Subscribers, sr)
	}
	r.EndToEnd = Summarize(e2e)
	r.Stages = []Stage{
		{Name: "received → delivery created (events queue, process)", Durations: Summarize(stages[0])},
		{Name: "created → successful attempt (deliveries queue, deliver, retries)", Durations: Summarize(stages[1])},
		{Name: "attempt → arrival at the subscriber", Durations: Summarize(stages[2])},
	}
	if r.SendTime > 0 {
		r.EventsPerSecond = float64(r.Accepted) / r.SendTime.Seconds()
	}
	if d := lastDelivered.Sub(in.SendStart); d > 0 {
		r.DeliveredPerSec = float64(delivered) / d.Seconds()
	}
	r.Duplicates, r.Kills = duplicates(in, ok2xx, byID)
	for _, d := range r.Duplicates {
		r.DuplicatesAllowed += d.Allowed
		r.DuplicatesBeyond += d.Beyond()
	}
	return r
}

func tallySends(r *Report, sends []Send) (accepted map[string]bool, answeredAt map[string]time.Time) {
	accepted, answeredAt = map[string]bool{}, map[string]time.Time{}
	var lat []time.Duration
	for _, s := range sends {
		r.Requests++
		lat = append(lat, s.Latencies...)
		if s.Attempts > 1 {
			r.RetriedRequests++
		}
		if !s.Accepted() {
			r.RejectedRequests++
			r.Rejections[fmt.Sprintf("%s %d %s", s.Kind, s.Status, truncate(s.Err, 80))]++
			continue
		}
		r.AcceptedRequests++
		for _, id := range s.EventIDs {
			if !accepted[id] {
				accepted[id] = true
				answeredAt[id] = s.Answered
			}
		}
	}
	r.Accepted = len(accepted)
	r.Ingest = Summarize(lat)
	return accepted, answeredAt
}

// legs splits one delivered event's way into the stages of Report.Stages.
func legs(stages *[3][]time.Duration, e store.Event, d store.Delivery, first Arrival) {
	if !e.ReceivedAt.IsZero() && !d.CreatedAt.IsZero() {
		stages[0] = append(stages[0], d.CreatedAt.Sub(e.ReceivedAt))
	}
	for _, a := range d.Attempts {
		if a.StatusCode/100 == 2 {
			stages[1] = append(stages[1], a.At.Sub(d.CreatedAt))
			stages[2] = append(stages[2], first.At.Sub(a.At))
			return
		}
	}
}

// lastAttempt says how a delivery's last attempt ended, "" when it has none.
func lastAttempt(d store.Delivery) string {
	if len(d.Attempts) == 0 {
		return ""
	}
	a := d.Attempts[len(d.Attempts)-1]
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("HTTP %d", a.StatusCode)
}

// duplicates finds every webhook-id answered 2xx more than once and charges each extra
// POST to a kill when the killed deliver runtime had that delivery's earlier 2xx POST in
// flight (its batch held the delivery and the POST arrived between the invocation's start
// and the kill); one in-flight POST explains one extra POST.
func duplicates(in Inputs, ok2xx map[subWID][]Arrival, byID map[string]store.Delivery) ([]Duplicate, []KillReport) {
	names := map[string]string{}
	for name, id := range in.SubscriptionIDs {
		names[id] = name
	}
	kills := make([]KillReport, len(in.Kills))
	inFlight := map[subWID][]int{}
	for i, k := range in.Kills {
		kills[i] = KillReport{Kill: k}
		if k.Skipped != "" || k.Function != "deliver" {
			continue
		}
		for _, key := range k.Keys {
			d, ok := byID[key]
			if !ok {
				continue
			}
			sw := subWID{names[d.SubscriptionID], d.MessageID}
			inFlight[sw] = append(inFlight[sw], i)
			for _, a := range in.Arrivals {
				if a.Subscriber == sw.sub && a.WebhookID == sw.wid && !a.At.Before(k.Started) && !a.At.After(k.At.Add(KillSlack)) {
					kills[i].InFlight = append(kills[i].InFlight, InFlightPOST{Subscriber: sw.sub, WebhookID: sw.wid, DeliveryID: d.ID, At: a.At, Status: a.Status})
					if a.Status/100 == 2 {
						kills[i].Allowance++
					}
				}
			}
		}
	}
	byWID := map[string]store.Delivery{}
	for _, d := range byID {
		byWID[names[d.SubscriptionID]+"\x00"+d.MessageID] = d
	}
	var out []Duplicate
	for k, got := range ok2xx {
		if len(got) < 2 {
			continue
		}
		d := byWID[k.sub+"\x00"+k.wid]
		dup := Duplicate{Subscriber: k.sub, WebhookID: k.wid, DeliveryID: d.ID, EventID: got[0].EventID}
		for _, a := range got {
			dup.Arrivals = append(dup.Arrivals, a.At)
		}
		for _, a := range got[:len(got)-1] {
			for _, ki := range inFlight[k] {
				kill := in.Kills[ki]
				if dup.Allowed < len(got)-1 && !a.At.Before(kill.Started) && !a.At.After(kill.At.Add(KillSlack)) {
					dup.Allowed++
					dup.Kills = append(dup.Kills, ki)
					kills[ki].Duplicates++
					break
				}
			}
		}
		out = append(out, dup)
	}
	slices.SortFunc(out, func(a, b Duplicate) int {
		return cmp.Or(cmp.Compare(a.Subscriber, b.Subscriber), a.Arrivals[0].Compare(b.Arrivals[0]))
	})
	return out, kills
}

func set(keys []string) map[string]bool {
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
