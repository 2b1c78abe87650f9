package delivery_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// The regression tests of this file use only what the store and the handler offered before
// the review's holes were closed, so they can be run against that code too.

func attrS(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func attrN(item map[string]ddbtypes.AttributeValue, name string) int64 {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberN); ok {
		i, _ := strconv.ParseInt(v.Value, 10, 64)
		return i
	}
	return -1
}

// healAfter makes every attempt of the next n calls of one operation fail (through the
// Recorder's injected fault, which the SDK retries as it would a throttle), then heals.
type healAfter struct {
	rec  *testenv.Recorder
	mu   sync.Mutex
	op   string
	left int
}

func (f *healAfter) arm(op string, n int) {
	f.mu.Lock()
	f.op, f.left = op, n
	f.mu.Unlock()
	f.rec.Inject(op, testenv.Fails)
}

func (f *healAfter) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.op != "" {
		f.rec.Inject(f.op, 0)
		f.op = ""
	}
}

func (f *healAfter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("WedSyncHealAfter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			f.mu.Lock()
			if op := awsmiddleware.GetOperationName(ctx); op == f.op {
				if f.left == 0 {
					f.rec.Inject(op, 0)
					f.op = ""
				}
				f.left--
			}
			f.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// TestUndeliverableEndsFailedWithReason (hole 1): a delivery whose event is gone, or whose
// subscription's secret cannot be opened, ends failed with a reason instead of staying due
// at the head of the sweep.
func TestUndeliverableEndsFailedWithReason(t *testing.T) {
	for _, tc := range []string{"event gone", "secret cannot be opened", "no usable signing secret"} {
		t.Run(tc, func(t *testing.T) {
			r := newRig(t)
			hook := newSubscriber(t)
			sub, _ := r.subscribe(hook.URL, []string{"*"})
			id := "dlv_gone"
			if tc != "event gone" {
				other, _ := r.subscribe(hook.URL, []string{"form.*"})
				sub.SealedSecrets = other.SealedSecrets
				if tc == "no usable signing secret" {
					sealed, err := secrets.SealSet(context.Background(), r.sealer, secrets.Scope{TenantID: tenant, ResourceID: sub.ID},
						secrets.Set{{Secret: "whsec_not!base64"}})
					if err != nil {
						t.Fatal(err)
					}
					sub.SealedSecrets = sealed
				}
				if err := r.subs.Update(context.Background(), sub); err != nil {
					t.Fatal(err)
				}
				env := r.event("evt_present", "booking.created")
				id = delivery.DeliveryID(env.ID, sub.ID, 0)
			} else if _, err := r.deliveries.Create(context.Background(), store.Delivery{ID: id, TenantID: tenant, SubscriptionID: sub.ID,
				EventID: "evt_expired", MessageID: "msg_gone", Status: store.DeliveryRetrying, NextAttemptAt: r.clock.Now(), CreatedAt: r.clock.Now()}); err != nil {
				t.Fatal(err)
			}
			resp := r.deliverNow(id)
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("the message was left to SQS: %+v", resp.BatchItemFailures)
			}
			d := r.delivery(id)
			item := r.item("deliveries", id)
			if d.Status != store.DeliveryFailed || d.Live() || attrS(item, "reason") == "" || item["due_shard"] != nil || item["lease_owner"] != nil {
				t.Fatalf("after one run: status %s, reason %q, due_shard %v, lease %v; want failed with a reason, off the due index, unleased",
					d.Status, attrS(item, "reason"), item["due_shard"], item["lease_owner"])
			}
			if len(hook.requests()) != 0 {
				t.Fatal("an undeliverable delivery was POSTed")
			}
		})
	}
}

// TestFaultsPushTheRecordBack (hole 1): an AWS error before the attempt pushes the record's
// next attempt back with a growing wait, counted, and gives up as failed with a reason.
func TestFaultsPushTheRecordBack(t *testing.T) {
	rec := testenv.NewRecorder()
	r := newRig(t, rec.Middleware)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_faulty", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	rec.Inject("GetItem", testenv.Fails)
	var waits []time.Duration
	for run := 0; run < 30; run++ {
		resp := r.deliverNow(id)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("run %d left the message to SQS with the record due", run+1)
		}
		rec.Inject("GetItem", 0)
		d, item := r.delivery(id), r.item("deliveries", id)
		rec.Inject("GetItem", testenv.Fails)
		if !d.Live() {
			if d.Status != store.DeliveryFailed || attrS(item, "reason") == "" || len(d.Attempts) != 0 {
				t.Fatalf("gave up as %s with reason %q and %d attempts", d.Status, attrS(item, "reason"), len(d.Attempts))
			}
			if len(waits) < 3 || waits[1] <= waits[0] {
				t.Fatalf("waits between faulty runs %v; want several, growing", waits)
			}
			return
		}
		wait := d.NextAttemptAt.Sub(r.clock.Now())
		if wait <= 0 {
			t.Fatalf("run %d left the record due now", run+1)
		}
		waits = append(waits, wait)
		r.clock.Advance(wait)
	}
	t.Fatal("a delivery whose subscription cannot be read never gave up")
}

// TestOutcomeSurvivesThrottledRecording (hole 2): when DynamoDB throttles every write right
// after a 2xx (beyond the SDK's three attempts), the outcome is still recorded and the
// delivery is never POSTed again.
func TestOutcomeSurvivesThrottledRecording(t *testing.T) {
	rec := testenv.NewRecorder()
	heal := &healAfter{rec: rec}
	r := newRig(t, rec.Middleware, heal.middleware)
	var mu sync.Mutex
	posts := 0
	hook := newSubscriber(t)
	hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
		heal.arm("UpdateItem", 2)
		w.WriteHeader(http.StatusOK)
	})
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_throttled", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	r.deliverNow(id)
	heal.heal()
	r.clock.Advance(5 * time.Minute)
	r.deliverNow(id)
	mu.Lock()
	defer mu.Unlock()
	if d := r.delivery(id); posts != 1 || d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 {
		t.Fatalf("%d POSTs, record %s with %d attempts; want one POST, delivered", posts, d.Status, len(d.Attempts))
	}
}

// TestRateLimitSpreadsABurst (hole 3): a burst to a rate-limited subscription is spread over
// the seconds the bucket frees tokens, instead of every held delivery waking each second.
func TestRateLimitSpreadsABurst(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"}, func(s *store.Subscription) { s.RateLimit = 1 })
	var ids []string
	for i := range 5 {
		env := r.event("evt_burst_"+string(rune('a'+i)), "booking.created")
		ids = append(ids, delivery.DeliveryID(env.ID, sub.ID, 0))
	}
	for _, id := range ids {
		r.deliverNow(id)
	}
	if n := len(hook.requests()); n != 1 {
		t.Fatalf("%d POSTs in the first second, want 1", n)
	}
	for i, id := range ids[1:] {
		d := r.delivery(id)
		if want := time.Duration(i+1) * time.Second; len(d.Attempts) != 0 || d.NextAttemptAt.Sub(r.clock.Now()) != want {
			t.Fatalf("held delivery %d: %d attempts, next in %s; want none, next in %s", i+1, len(d.Attempts), d.NextAttemptAt.Sub(r.clock.Now()), want)
		}
	}
	for i := range 4 {
		r.clock.Advance(time.Second)
		r.deliverNow(ids[1:]...)
		if n := len(hook.requests()); n != i+2 {
			t.Fatalf("after %d s: %d POSTs, want %d", i+1, n, i+2)
		}
	}
}

// TestBusyEndpointBacksOff (hole 3): a delivery held because the endpoint's attempts are all
// under way waits longer each time, and the in-flight count is not kept on the
// subscription item.
func TestBusyEndpointBacksOff(t *testing.T) {
	r := newRig(t)
	r.deliver.EndpointConcurrency = 1
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := newSubscriber(t)
	hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(arrived)
			<-release
		}
		w.WriteHeader(http.StatusOK)
	})
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	a, b := r.event("evt_busy_a", "booking.created"), r.event("evt_busy_b", "booking.created")
	idA, idB := delivery.DeliveryID(a.ID, sub.ID, 0), delivery.DeliveryID(b.ID, sub.ID, 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.deliver.Handle(context.Background(), r.messages(idA))
	}()
	<-arrived
	if item := r.item("subscriptions", sub.ID); item["inflight"] != nil {
		t.Errorf("the in-flight count lives on the subscription item: %v", item["inflight"])
	}
	var waits []time.Duration
	for range 3 {
		r.deliverNow(idB)
		d := r.delivery(idB)
		if len(d.Attempts) != 0 || !d.Live() {
			close(release)
			<-done
			t.Fatalf("a held delivery: %+v", d)
		}
		waits = append(waits, d.NextAttemptAt.Sub(r.clock.Now()))
		r.clock.Advance(waits[len(waits)-1])
	}
	close(release)
	<-done
	if waits[0] <= 0 || waits[1] <= waits[0] || waits[2] <= waits[1] {
		t.Fatalf("holds of a busy endpoint waited %v; want growing waits", waits)
	}
	r.deliverNow(idB)
	if d := r.delivery(idB); d.Status != store.DeliveryDelivered {
		t.Fatalf("once the endpoint is free: %s", d.Status)
	}
}

// staleDeliveries reads an old copy of one delivery, as a second message does when its read
// happened before the first message's attempt was recorded.
type staleDeliveries struct {
	*store.Deliveries
	old store.Delivery
}

func (s staleDeliveries) Get(context.Context, string) (store.Delivery, error) { return s.old, nil }

// TestSecondCopyCannotPostEarly (hole 4): a copy of a message that read the record while it
// was due cannot lease it once the first copy has pushed its next attempt back.
func TestSecondCopyCannotPostEarly(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t, 500, 200)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_early", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	// The record is created by the first lease: the stale copy is the delivery as due then.
	before := store.Delivery{ID: id, TenantID: tenant, SubscriptionID: sub.ID, EventID: env.ID,
		Status: store.DeliveryPending, NextAttemptAt: r.clock.Now(), CreatedAt: r.clock.Now()}
	r.deliverNow(id)
	r.deliver.Deliveries = staleDeliveries{Deliveries: r.deliveries, old: before}
	r.deliverNow(id)
	if n := len(hook.requests()); n != 1 {
		t.Fatalf("%d POSTs; the second copy POSTed before the next attempt was due", n)
	}
	if d := r.delivery(id); d.Status != store.DeliveryRetrying || len(d.Attempts) != 1 || !d.NextAttemptAt.After(r.clock.Now()) {
		t.Fatalf("record %s with %d attempts, next %s", d.Status, len(d.Attempts), d.NextAttemptAt)
	}
}

// TestAttemptLogIsBounded (hole 5): a record whose attempt log nearly fills DynamoDB's
// 400 KB item still records its next attempt, and the log is cut to the latest attempts
// with the total kept.
func TestAttemptLogIsBounded(t *testing.T) {
	r := newRig(t)
	body := strings.Repeat("x", delivery.MaxResponseBytes)
	hook := newSubscriber(t)
	hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_long_log", "booking.created")
	id := "dlv_long_log"
	seeded := 0
	for n := 110; n > 0 && seeded == 0; n-- {
		d := store.Delivery{ID: id, TenantID: tenant, SubscriptionID: sub.ID, EventID: env.ID, MessageID: "msg_long",
			Status: store.DeliveryRetrying, NextAttemptAt: r.clock.Now(), CreatedAt: r.clock.Now()}
		for i := range n {
			d.Attempts = append(d.Attempts, store.Attempt{Number: i + 1, At: r.clock.Now(), StatusCode: 500, LatencyMS: 10, Response: body})
		}
		if _, err := r.deliveries.Create(context.Background(), d); err == nil {
			seeded = n
		}
	}
	if seeded < 50 {
		t.Fatalf("seeded %d attempts", seeded)
	}
	if resp := r.deliverNow(id); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the attempt after %d was not recorded", seeded)
	}
	d := r.delivery(id)
	last := d.Attempts[len(d.Attempts)-1]
	if d.Status != store.DeliveryDelivered || len(d.Attempts) > 20 || last.Number != seeded+1 || last.StatusCode != 200 {
		t.Fatalf("record %s with %d attempts, the last %d (%d); want delivered, at most 20 kept, the last %d",
			d.Status, len(d.Attempts), last.Number, last.StatusCode, seeded+1)
	}
	if n := attrN(r.item("deliveries", id), "attempt_count"); n != int64(seeded+1) {
		t.Fatalf("attempt_count %d, want %d", n, seeded+1)
	}
}

// TestRescheduleDuringLeaseIsKept (hole 8): a manual retry made while an attempt is under
// way is not undone when the attempt is recorded.
func TestRescheduleDuringLeaseIsKept(t *testing.T) {
	r := newRig(t)
	var id string
	var rescheduled error
	hook := newSubscriber(t)
	hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		rescheduled = r.deliveries.Reschedule(context.Background(), tenant, id, r.clock.Now())
		w.WriteHeader(http.StatusInternalServerError)
	})
	sub, _ := r.subscribe(hook.URL, []string{"*"}, func(s *store.Subscription) {
		s.RetryPolicy = &store.RetryPolicy{MaxAttempts: 1, BackoffStrategy: "linear", InitialDelaySeconds: 60}
	})
	env := r.event("evt_resched", "booking.created")
	id = delivery.DeliveryID(env.ID, sub.ID, 0)
	r.receive(r.deliveriesURL)
	r.deliverNow(id)
	if rescheduled != nil {
		t.Fatal(rescheduled)
	}
	d := r.delivery(id)
	if d.Status != store.DeliveryRetrying || !d.NextAttemptAt.Equal(r.clock.Now()) || len(d.Attempts) != 1 {
		t.Fatalf("after a retry asked during the attempt: %s, next %s, %d attempts; want retrying, due now", d.Status, d.NextAttemptAt, len(d.Attempts))
	}
	if n := len(r.receive(r.deliveriesURL)); n != 1 {
		t.Fatalf("%d messages queued for the retried delivery, want 1", n)
	}
}

// staleSubscriptions reads an old copy of one subscription: a delivery that read it before
// another delivery claimed the breaker's probe.
type staleSubscriptions struct {
	*store.Subscriptions
	old store.Subscription
}

func (s staleSubscriptions) Get(context.Context, string) (store.Subscription, error) {
	return s.old, nil
}

// TestBreakerHoldWaitsForTheProbe (hole 9): a delivery that loses the race for the breaker's
// probe waits until the next probe, not a second.
func TestBreakerHoldWaitsForTheProbe(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t, 500)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	var ids []string
	for i := range 7 {
		env := r.event("evt_probe_"+string(rune('a'+i)), "booking.created")
		ids = append(ids, delivery.DeliveryID(env.ID, sub.ID, 0))
	}
	for _, id := range ids[:delivery.BreakerThreshold] {
		r.deliverNow(id)
	}
	r.clock.Advance(delivery.ProbeInterval)
	before := r.subscription(sub.ID)
	r.deliverNow(ids[5])
	if n := len(hook.requests()); n != delivery.BreakerThreshold+1 {
		t.Fatalf("%d POSTs, want the probe's", n)
	}
	r.deliver.Subscriptions = staleSubscriptions{Subscriptions: r.subs, old: before}
	r.deliverNow(ids[6])
	d := r.delivery(ids[6])
	if len(d.Attempts) != 0 || d.NextAttemptAt.Sub(r.clock.Now()) < delivery.ProbeInterval {
		t.Fatalf("the loser of the probe: %d attempts, next in %s; want held until the next probe (%s)",
			len(d.Attempts), d.NextAttemptAt.Sub(r.clock.Now()), delivery.ProbeInterval)
	}
}
