package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestDueSweepResumesPastBudget: when more is stuck at the head than a tick's budget, the
// next ticks go on where the last stopped, so the delivery behind is queued within
// ceil(due / budget) ticks.
func TestDueSweepResumesPastBudget(t *testing.T) {
	r := newRig(t)
	r.scheduler.DueBudget = 50
	start := r.clock.Now()
	r.dueRecords(idsInShard("dlv_stuck", 3, store.DueShards, 120), start.Add(-time.Hour))
	behind := idsInShard("dlv_behind", 3, store.DueShards, 1)[0]
	r.dueRecords([]string{behind}, start.Add(-10*time.Minute))
	for tick := 1; tick <= 3; tick++ {
		r.tick()
		got := r.queued(r.deliveriesURL, "delivery_id")
		if len(got) != 50 && tick < 3 {
			t.Fatalf("tick %d queued %d, want the budget of 50", tick, len(got))
		}
		if got[behind] > 0 {
			t.Logf("queued at tick %d", tick)
			return
		}
		r.clock.Advance(time.Minute)
	}
	t.Fatal("the delivery behind 120 stuck ones was not queued within 3 ticks of 50")
}

// TestStuckSweepKeepsWhatItCouldNotQueue: an event the scheduler failed to queue keeps its
// sweep time, so the next tick queues it without waiting for a back-off.
func TestStuckSweepKeepsWhatItCouldNotQueue(t *testing.T) {
	r := newRig(t)
	received := r.clock.Now()
	env := envelope.Envelope{SpecVersion: "1.0", ID: "evt_unqueued", Type: "booking.created", TenantID: tenant, Provider: "custom",
		CorrelationID: "evt_unqueued", Time: received, EventVersion: envelope.Version, Data: json.RawMessage(`{}`)}
	b, _ := json.Marshal(env)
	if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: env.ID, TenantID: tenant, Type: env.Type,
		CorrelationID: env.ID, Time: received, Envelope: b, ReceivedAt: received}); err != nil {
		t.Fatal(err)
	}
	if err := r.events.EnterSweep(context.Background(), env.ID, received); err != nil {
		t.Fatal(err)
	}
	rec := testenv.NewRecorder()
	faulty := testenv.SQS(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware))
	broken := &delivery.Scheduler{Events: r.events, EventsQueue: &queue.Events{SQS: faulty, URL: r.eventsURL},
		Deliveries: r.deliveries, DeliveriesQueue: &queue.Deliveries{SQS: faulty, URL: r.deliveriesURL},
		Now: r.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	rec.Inject("SendMessageBatch", testenv.Fails)
	r.clock.Advance(3 * time.Minute)
	var partial *queue.NotEnqueuedError
	if err := broken.Handle(context.Background(), schedulerTick()); !errors.As(err, &partial) || !errors.Is(err, testenv.ErrInjected) {
		t.Fatalf("a tick that could not queue: %v", err)
	}
	if len(partial.IDs) != 1 || partial.IDs[0] != env.ID {
		t.Fatalf("not queued: %v", partial.IDs)
	}
	r.clock.Advance(time.Minute)
	r.tick()
	if got := r.queued(r.eventsURL, "event_id"); got[env.ID] != 1 {
		t.Fatalf("the next tick queued %v", got)
	}
}
