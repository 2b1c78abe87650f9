package loadtest

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
)

type subWID struct{ sub, wid string }

// tally holds the run's records indexed the ways the report looks them up.
type tally struct {
	in            Inputs
	accepted      map[string]bool
	answeredAt    map[string]time.Time
	stored        []store.Event
	eventsDLQ     map[string]bool
	deliveriesDLQ map[string]bool
	ok2xx         map[subWID][]Arrival
	byEventSub    map[[2]string]store.Delivery
	byID          map[string]store.Delivery
	subs          map[string]store.Subscription
	stages        [3][]time.Duration
	lastDelivered time.Time
}

func newTally(in Inputs) *tally {
	t := &tally{in: in, accepted: map[string]bool{}, answeredAt: map[string]time.Time{},
		eventsDLQ: set(in.EventsDLQ), deliveriesDLQ: set(in.DeliveriesDLQ), ok2xx: map[subWID][]Arrival{},
		byEventSub: map[[2]string]store.Delivery{}, byID: map[string]store.Delivery{}, subs: map[string]store.Subscription{},
		lastDelivered: in.SendStart}
	t.stored = slices.Clone(in.Events)
	slices.SortFunc(t.stored, func(a, b store.Event) int { return cmp.Compare(a.ID, b.ID) })
	for _, a := range in.Arrivals {
		if a.Status/100 == 2 {
			k := subWID{a.Subscriber, a.WebhookID}
			t.ok2xx[k] = append(t.ok2xx[k], a)
		}
	}
	for k := range t.ok2xx {
		slices.SortFunc(t.ok2xx[k], func(a, b Arrival) int { return a.At.Compare(b.At) })
	}
	for _, d := range in.Deliveries {
		if d.Replay == 0 {
			t.byEventSub[[2]string{d.EventID, d.SubscriptionID}] = d
		}
		t.byID[d.ID] = d
	}
	for _, s := range in.Subscriptions {
		t.subs[s.ID] = s
	}
	return t
}

// sends counts the requests, their answers and ingest latencies, and the accepted events.
func (t *tally) sends(r *Report) {
	var lat []time.Duration
	for _, s := range t.in.Sends {
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
			if !t.accepted[id] {
				t.accepted[id] = true
				t.answeredAt[id] = s.Answered
			}
		}
	}
	r.Accepted = len(t.accepted)
	r.Ingest = Summarize(lat)
	for _, a := range t.in.Arrivals {
		if !a.SignatureOK {
			r.BadSignatures++
		}
	}
	for _, d := range t.in.Deliveries {
		for _, a := range d.Attempts {
			r.PostTime += time.Duration(a.LatencyMS) * time.Millisecond
		}
	}
}

// events finds accepted events never stored and stored events never processed.
func (t *tally) events(r *Report) {
	stored := map[string]bool{}
	for _, e := range t.stored {
		stored[e.ID] = true
		if !t.accepted[e.ID] {
			r.Derived++
		}
		switch {
		case e.Status == store.StatusProcessed:
			r.Processed++
		case t.eventsDLQ[e.ID]:
			r.EventsInDLQ++
		default:
			r.Lost = append(r.Lost, Lost{Kind: "event", ID: e.ID, EventID: e.ID, Reason: "stored, never processed (" + e.Status + ")"})
		}
	}
	for _, id := range sortedKeys(t.accepted) {
		if stored[id] {
			r.Stored++
		} else {
			r.Lost = append(r.Lost, Lost{Kind: "event", ID: id, EventID: id, Reason: "accepted, never stored"})
		}
	}
}

// subscriber accounts for every delivery one subscriber should have had, and returns its
// end-to-end times (ingest answer → first 2xx).
func (t *tally) subscriber(r *Report, spec Subscriber) (SubscriberReport, []time.Duration) {
	subID := t.in.SubscriptionIDs[spec.Name]
	sub, known := t.subs[subID]
	sr := SubscriberReport{Name: spec.Name, Reasons: map[string]int{}}
	var e2e []time.Duration
	for _, e := range t.stored {
		if !Matches(spec.Filters, e.Type) {
			continue
		}
		d, has := t.byEventSub[[2]string{e.ID, subID}]
		if got := t.ok2xx[subWID{spec.Name, delivery.MessageID(e.ID, subID)}]; len(got) > 0 {
			sr.Expected++
			sr.Delivered++
			if got[0].At.After(t.lastDelivered) {
				t.lastDelivered = got[0].At
			}
			if at, ok := t.answeredAt[e.ID]; ok {
				e2e = append(e2e, got[0].At.Sub(at))
			}
			if has {
				t.legs(e, d, got[0])
			}
			continue
		}
		lost := func(reason string) {
			sr.Lost++
			r.Lost = append(r.Lost, Lost{Kind: "delivery", ID: d.ID, EventID: e.ID, Subscriber: spec.Name, Reason: reason})
		}
		switch {
		case !has && e.Status != store.StatusProcessed:
			// accounted for once, as the event
		case !has && known && !sub.Active && !e.ProcessedAt.Before(sub.UpdatedAt):
			sr.NotExpected++
		case !has && t.deliveriesDLQ[delivery.DeliveryID(e.ID, subID, 0)]:
			// Its record is created at its first lease: fan-out's message is in the DLQ.
			sr.Expected++
			sr.InDLQ++
		case !has:
			sr.Expected++
			lost("no delivery created for a processed event")
		default:
			sr.Expected++
			t.ended(&sr, d, sub, lost)
		}
	}
	for _, a := range t.in.Arrivals {
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
	for k, got := range t.ok2xx {
		if k.sub == spec.Name {
			sr.Duplicate2xx += len(got) - 1
		}
	}
	sr.EndToEnd = Summarize(e2e)
	return sr, e2e
}

// ended accounts for a delivery the subscriber never answered 2xx: ended with a recorded
// reason, in the DLQ, or lost.
func (t *tally) ended(sr *SubscriberReport, d store.Delivery, sub store.Subscription, lost func(string)) {
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
		if sub.DisabledReason != "" {
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
		if t.deliveriesDLQ[d.ID] {
			sr.InDLQ++
		} else {
			sr.Live++
			lost("still " + d.Status + " when the run ended")
		}
	}
}

// legs splits one delivered event's way into the stages of Report.Stages.
func (t *tally) legs(e store.Event, d store.Delivery, first Arrival) {
	if !e.ReceivedAt.IsZero() && !d.CreatedAt.IsZero() {
		t.stages[0] = append(t.stages[0], d.CreatedAt.Sub(e.ReceivedAt))
	}
	for _, a := range d.Attempts {
		if a.StatusCode/100 == 2 {
			t.stages[1] = append(t.stages[1], a.At.Sub(d.CreatedAt))
			t.stages[2] = append(t.stages[2], first.At.Sub(a.At))
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
