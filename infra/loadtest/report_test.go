package loadtest

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
)

// t0 is the scenario's fixed clock: every time in it is t0 plus an offset.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// scenario builds Inputs for subscribers "all" (*) and "pay" (payment.*).
type scenario struct{ in Inputs }

func newScenario() *scenario {
	return &scenario{in: Inputs{
		Knobs:           Knobs{Subscribers: []Subscriber{{Name: "all", Filters: []string{"*"}}, {Name: "pay", Filters: []string{"payment.*"}}}},
		SubscriptionIDs: map[string]string{"all": "sub_all", "pay": "sub_pay"},
		Subscriptions:   []store.Subscription{{ID: "sub_all", Active: true}, {ID: "sub_pay", Active: true}},
		SendStart:       t0, SendEnd: at(10_000), End: at(20_000), Drained: true,
	}}
}

// accept records an ingest request answered at answered ms, accepting ids.
func (s *scenario) accept(answered int, latency time.Duration, ids ...string) {
	s.in.Sends = append(s.in.Sends, Send{Seq: len(s.in.Sends), Kind: "stripe", Attempts: 1, Status: 200,
		Latencies: []time.Duration{latency}, EventIDs: ids, Answered: at(answered)})
}

func (s *scenario) event(id, typ, status string) {
	s.in.Events = append(s.in.Events, store.Event{ID: id, Type: typ, Status: status, ReceivedAt: at(0), ProcessedAt: at(100)})
}

func (s *scenario) delivery(eventID, subID, status string, attempts ...store.Attempt) store.Delivery {
	d := store.Delivery{ID: delivery.DeliveryID(eventID, subID, 0), SubscriptionID: subID, EventID: eventID,
		MessageID: delivery.MessageID(eventID, subID), Status: status, Attempts: attempts, CreatedAt: at(200)}
	s.in.Deliveries = append(s.in.Deliveries, d)
	return d
}

// arrive records a POST of an event's delivery at a subscriber.
func (s *scenario) arrive(sub, eventID string, ms, status int) {
	s.in.Arrivals = append(s.in.Arrivals, Arrival{Subscriber: sub, WebhookID: delivery.MessageID(eventID, s.in.SubscriptionIDs[sub]),
		EventID: eventID, At: at(ms), Status: status, SignatureOK: true})
}

// delivered makes an event of typ delivered once to every matching subscriber at ms.
func (s *scenario) delivered(id, typ string, ms int) {
	s.event(id, typ, store.StatusProcessed)
	for _, sub := range s.in.Knobs.Subscribers {
		if Matches(sub.Filters, typ) {
			s.delivery(id, s.in.SubscriptionIDs[sub.Name], store.DeliveryDelivered, store.Attempt{Number: 1, At: at(ms - 5), StatusCode: 200})
			s.arrive(sub.Name, id, ms, 200)
		}
	}
}

func reasons(lost []Lost) []string {
	var out []string
	for _, l := range lost {
		out = append(out, l.Kind+" "+l.EventID+" "+l.Subscriber+": "+l.Reason)
	}
	slices.Sort(out)
	return out
}

func TestComputeCleanRun(t *testing.T) {
	s := newScenario()
	s.accept(50, 40*time.Millisecond, "evt_a")
	s.accept(60, 80*time.Millisecond, "evt_b", "evt_c")
	s.delivered("evt_a", "payment.received", 1050)
	s.delivered("evt_b", "message.sent", 2060)
	s.delivered("evt_c", "message.sent", 3060)
	s.delivered("evt_derived", "email.send", 4000)
	r := Compute(s.in)
	if r.Requests != 2 || r.Accepted != 3 || r.Stored != 3 || r.Derived != 1 || r.Processed != 4 {
		t.Fatalf("counts: %+v", r)
	}
	if len(r.Lost) != 0 || len(r.Failures()) != 0 {
		t.Fatalf("lost %v, failures %v", reasons(r.Lost), r.Failures())
	}
	all, pay := r.Subscribers[0], r.Subscribers[1]
	if all.Expected != 4 || all.Delivered != 4 || pay.Expected != 1 || pay.Delivered != 1 || all.Duplicate2xx != 0 {
		t.Fatalf("subscribers: %+v %+v", all, pay)
	}
	// End to end is ingest answer → first 2xx, for accepted events only: 1 s, 1 s, 2 s, 3 s.
	if r.EndToEnd.N != 4 || r.EndToEnd.P50 != time.Second || r.EndToEnd.P99 != 3*time.Second {
		t.Fatalf("end to end %+v", r.EndToEnd)
	}
	if r.Ingest.P50 != 40*time.Millisecond || r.Ingest.P99 != 80*time.Millisecond {
		t.Fatalf("ingest %+v", r.Ingest)
	}
	if r.EventsPerSecond != 0.3 {
		t.Fatalf("events/s %g", r.EventsPerSecond)
	}
}

func TestComputeFindsEveryWayToLose(t *testing.T) {
	s := newScenario()
	s.accept(10, time.Millisecond, "evt_never_stored", "evt_unprocessed", "evt_in_dlq", "evt_no_delivery",
		"evt_live", "evt_live_dlq", "evt_new_dlq", "evt_exhausted", "evt_marked", "evt_disabled")
	s.event("evt_unprocessed", "message.sent", store.StatusReceived)
	s.event("evt_in_dlq", "message.sent", store.StatusReceived)
	s.in.EventsDLQ = []string{"evt_in_dlq"}
	s.event("evt_no_delivery", "message.sent", store.StatusProcessed)
	s.event("evt_live", "message.sent", store.StatusProcessed)
	s.delivery("evt_live", "sub_all", store.DeliveryRetrying, store.Attempt{Number: 1, At: at(300), StatusCode: 500})
	s.event("evt_live_dlq", "message.sent", store.StatusProcessed)
	d := s.delivery("evt_live_dlq", "sub_all", store.DeliveryPending)
	// A new delivery's record is created at its first lease: its message is in the DLQ, no record.
	s.event("evt_new_dlq", "message.sent", store.StatusProcessed)
	s.in.DeliveriesDLQ = []string{d.ID, delivery.DeliveryID("evt_new_dlq", "sub_all", 0)}
	s.event("evt_exhausted", "message.sent", store.StatusProcessed)
	s.delivery("evt_exhausted", "sub_all", store.DeliveryExhausted, store.Attempt{Number: 10, At: at(300), Error: "connection failed"})
	s.event("evt_marked", "message.sent", store.StatusProcessed)
	s.delivery("evt_marked", "sub_all", store.DeliveryDelivered, store.Attempt{Number: 1, At: at(300), StatusCode: 200})
	// The payments subscription was disabled before evt_disabled was processed, after evt_paid.
	s.in.Subscriptions[1] = store.Subscription{ID: "sub_pay", Active: false, DisabledReason: "the endpoint has failed for 5 days", UpdatedAt: at(50)}
	s.event("evt_disabled", "payment.failed", store.StatusProcessed)
	s.delivery("evt_disabled", "sub_all", store.DeliveryDelivered, store.Attempt{Number: 1, At: at(300), StatusCode: 200})
	s.arrive("all", "evt_disabled", 310, 200)
	s.delivery("evt_paid", "sub_pay", store.DeliveryFailed)
	s.in.Events = append(s.in.Events, store.Event{ID: "evt_paid", Type: "payment.received", Status: store.StatusProcessed, ProcessedAt: at(10)})
	s.delivery("evt_paid", "sub_all", store.DeliveryDelivered, store.Attempt{Number: 1, At: at(300), StatusCode: 200})
	s.arrive("all", "evt_paid", 310, 200)
	s.in.Drained = false

	r := Compute(s.in)
	want := []string{
		"delivery evt_live all: still retrying when the run ended",
		"delivery evt_marked all: marked delivered, but the subscriber never answered it 2xx",
		"delivery evt_no_delivery all: no delivery created for a processed event",
		"event evt_never_stored : accepted, never stored",
		"event evt_unprocessed : stored, never processed (received)",
	}
	if got := reasons(r.Lost); !slices.Equal(got, want) {
		t.Fatalf("lost:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	all, pay := r.Subscribers[0], r.Subscribers[1]
	if all.Exhausted != 1 || all.InDLQ != 2 || all.Live != 1 || all.Lost != 3 || all.Reasons["exhausted: connection failed"] != 1 {
		t.Fatalf("all: %+v", all)
	}
	if pay.Failed != 1 || pay.NotExpected != 1 || pay.Lost != 0 || pay.Reasons["failed: subscription disabled: the endpoint has failed for 5 days"] != 1 {
		t.Fatalf("pay: %+v", pay)
	}
	if r.EventsInDLQ != 1 || r.Stored != 9 {
		t.Fatalf("events in DLQ %d, stored %d", r.EventsInDLQ, r.Stored)
	}
	if f := r.Failures(); len(f) != 2 || f[0] != "5 lost" || !strings.Contains(f[1], "did not drain") {
		t.Fatalf("failures %v", f)
	}
}

// TestDuplicatesWithinAndBeyondTheKillAllowance: an extra 2xx POST is allowed only when a
// killed deliver runtime had the delivery in its batch and its earlier 2xx POST arrived
// while that invocation ran; one in-flight POST allows one extra POST.
func TestDuplicatesWithinAndBeyondTheKillAllowance(t *testing.T) {
	s := newScenario()
	s.accept(10, time.Millisecond, "evt_killed", "evt_twice_killed", "evt_before", "evt_fault", "evt_process")
	for _, id := range []string{"evt_killed", "evt_twice_killed", "evt_before", "evt_fault", "evt_process"} {
		s.event(id, "message.sent", store.StatusProcessed)
	}
	killed := s.delivery("evt_killed", "sub_all", store.DeliveryDelivered)
	twice := s.delivery("evt_twice_killed", "sub_all", store.DeliveryDelivered)
	before := s.delivery("evt_before", "sub_all", store.DeliveryDelivered)
	s.delivery("evt_fault", "sub_all", store.DeliveryDelivered)
	s.delivery("evt_process", "sub_all", store.DeliveryDelivered)
	s.in.Kills = []Kill{
		{Function: "deliver", Started: at(1000), At: at(1500), Keys: []string{killed.ID, twice.ID, before.ID}},
		{Function: "process", Started: at(1000), At: at(1500), Keys: []string{"evt_process"}},
		{Function: "deliver", Skipped: "no batch under way"},
	}
	s.arrive("all", "evt_killed", 1200, 200) // in flight at the kill
	s.arrive("all", "evt_killed", 40_000, 200)
	s.arrive("all", "evt_twice_killed", 1300, 200) // in flight: allows one of the two extra
	s.arrive("all", "evt_twice_killed", 40_000, 200)
	s.arrive("all", "evt_twice_killed", 41_000, 200)
	s.arrive("all", "evt_before", 900, 200) // before the killed invocation began
	s.arrive("all", "evt_before", 40_000, 200)
	s.arrive("all", "evt_fault", 1200, 200) // not in the killed batch
	s.arrive("all", "evt_fault", 40_000, 200)
	s.arrive("all", "evt_process", 1200, 200) // a process kill POSTs nothing
	s.arrive("all", "evt_process", 40_000, 200)

	r := Compute(s.in)
	if r.DuplicatesAllowed != 2 || r.DuplicatesBeyond != 4 {
		t.Fatalf("allowed %d, beyond %d, want 2 and 4: %+v", r.DuplicatesAllowed, r.DuplicatesBeyond, r.Duplicates)
	}
	beyond := map[string]int{}
	for _, d := range r.Duplicates {
		beyond[d.EventID] = d.Beyond()
	}
	if want := map[string]int{"evt_killed": 0, "evt_twice_killed": 1, "evt_before": 1, "evt_fault": 1, "evt_process": 1}; !maps.Equal(beyond, want) {
		t.Fatalf("beyond per event %v, want %v", beyond, want)
	}
	k := r.Kills[0]
	if k.Allowance != 2 || k.Duplicates != 2 || len(k.InFlight) != 2 || r.Kills[1].Allowance != 0 || r.Kills[2].Allowance != 0 {
		t.Fatalf("kills %+v", r.Kills)
	}
	if r.Subscribers[0].Duplicate2xx != 6 || r.Subscribers[0].Delivered != 5 {
		t.Fatalf("subscriber %+v", r.Subscribers[0])
	}
	if f := r.Failures(); len(f) != 1 || !strings.Contains(f[0], "4 duplicate 2xx POSTs beyond the kill allowance") {
		t.Fatalf("failures %v", f)
	}
}

func TestAPostJustAfterTheKillIsStillInFlight(t *testing.T) {
	k := Kill{Function: "deliver", Started: at(1000), At: at(1500)}
	for _, c := range []struct {
		ms   int
		want bool
	}{{999, false}, {1000, true}, {1500, true}, {1500 + int(KillSlack/time.Millisecond), true}, {1501 + int(KillSlack/time.Millisecond), false}} {
		if got := within(Arrival{At: at(c.ms)}, k); got != c.want {
			t.Errorf("arrival at +%d ms: within=%v, want %v", c.ms, got, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		filters []string
		typ     string
		want    bool
	}{
		{[]string{"*"}, "email.send", true},
		{[]string{"payment.*"}, "payment.received", true},
		{[]string{"payment.*"}, "payments.x", false},
		{[]string{"payment.*"}, "payment.", false},
		{[]string{"booking.created"}, "booking.created", true},
		{[]string{"booking.created"}, "booking.cancelled", false},
		{[]string{"a.b", "calendar.*"}, "calendar.block", true},
	} {
		if got := Matches(c.filters, c.typ); got != c.want {
			t.Errorf("Matches(%v, %q) = %v", c.filters, c.typ, got)
		}
	}
}

func TestSummarizeUsesNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(ds)
	if s.N != 100 || s.P50 != 50*time.Millisecond || s.P99 != 99*time.Millisecond || s.Max != 100*time.Millisecond || s.Mean() != 50500*time.Microsecond {
		t.Fatalf("%+v", s)
	}
	if z := Summarize(nil); z.N != 0 || z.Mean() != 0 {
		t.Fatalf("empty: %+v", z)
	}
}
