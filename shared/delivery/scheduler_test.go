package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/store"
)

func schedulerTick() events.EventBridgeEvent {
	return events.EventBridgeEvent{DetailType: "Scheduled Event", Source: "aws.events"}
}

// TestStuckEventSweep: an event stored but never queued (its sender gave up after a 5xx),
// which ingest entered in the sweep index, is processed within three scheduler ticks; the
// tick after its sweep time comes round again takes it out of the index.
func TestStuckEventSweep(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	r.subscribe(hook.URL, []string{"*"})
	received := r.clock.Now()
	env := envelope.Envelope{SpecVersion: "1.0", ID: "evt_stuck", Type: "booking.created", TenantID: tenant, Provider: "custom",
		CorrelationID: "evt_stuck", Time: received, EventVersion: envelope.Version, Data: json.RawMessage(`{}`)}
	b, _ := json.Marshal(env)
	if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: env.ID, TenantID: tenant, Type: env.Type,
		CorrelationID: env.ID, Time: received, Envelope: b, ReceivedAt: received}); err != nil {
		t.Fatal(err)
	}
	if err := r.events.EnterSweep(context.Background(), env.ID, received); err != nil {
		t.Fatal(err)
	}
	proc := &process.Handler{Events: r.events, Steps: []process.Step{r.fanout}, Now: r.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	for tick := 1; tick <= 3; tick++ {
		r.clock.Advance(time.Minute)
		if err := r.scheduler.Handle(context.Background(), schedulerTick()); err != nil {
			t.Fatal(err)
		}
		batch := events.SQSEvent{}
		for _, m := range r.receive(r.eventsURL) {
			batch.Records = append(batch.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		}
		if _, err := proc.Handle(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		r.pump()
		if ev, _ := r.events.Get(context.Background(), env.ID); ev.Status == store.StatusProcessed {
			if len(hook.requests()) != 1 {
				t.Fatalf("processed at tick %d but delivered %d times", tick, len(hook.requests()))
			}
			t.Logf("processed at tick %d", tick)
			r.clock.Advance(delivery.SweepWait(1) + time.Minute)
			r.tick()
			if left, err := r.events.ListUnprocessed(context.Background(), r.clock.Now(), 10); err != nil || len(left) != 0 {
				t.Fatalf("the sweep index holds %v %v once the event is processed", left, err)
			}
			if queued := r.queued(r.eventsURL, "event_id"); len(queued) != 0 {
				t.Fatalf("the processed event was queued again: %v", queued)
			}
			return
		}
	}
	t.Fatal("the stuck event was not processed within 3 ticks")
}

// TestEventStoredButNeverQueued: an ingest that died between storing an event and queueing
// it ran no fault path, so the event is in no sweep index; the scheduler finds it among its
// tenant's events of the minute StuckAfter old and queues it in the same tick: it is
// processed and delivered once, at the third tick after its time. Its tenant's other
// events of that minute — one processed in time, a derived event stored processed — are
// never queued again.
func TestEventStoredButNeverQueued(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	r.subscribe(hook.URL, []string{"booking.created"})
	ctx := context.Background()
	if err := (&store.Tenants{DB: r.db, Table: r.tables["tenants"]}).Create(ctx, store.Tenant{ID: tenant, Name: tenant, Status: store.TenantActive, CreatedAt: r.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	at := r.clock.Now()
	put := func(id string, edit func(*store.Event)) {
		env := envelope.Envelope{SpecVersion: "1.0", ID: id, Type: "booking.created", TenantID: tenant, Provider: "custom",
			CorrelationID: id, Time: at, EventVersion: envelope.Version, Data: json.RawMessage(`{}`)}
		b, _ := json.Marshal(env)
		ev := store.Event{ID: id, TenantID: tenant, Type: env.Type, CorrelationID: id, Time: at, Envelope: b, ReceivedAt: at}
		if edit != nil {
			edit(&ev)
		}
		if _, _, err := r.events.PutNew(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	put("evt_lost", nil)
	put("evt_in_time", nil)
	if err := r.events.MarkProcessed(ctx, "evt_in_time", at.Add(time.Second), time.Time{}); err != nil {
		t.Fatal(err)
	}
	put("evt_child", func(ev *store.Event) {
		ev.Type, ev.CorrelationID, ev.Status = "email.send", "evt_in_time", store.StatusProcessed
	})
	proc := &process.Handler{Events: r.events, Steps: []process.Step{r.fanout}, Now: r.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	var queued []string
	for tick := 1; tick <= 3; tick++ {
		r.clock.Advance(time.Minute)
		if err := r.scheduler.Handle(ctx, schedulerTick()); err != nil {
			t.Fatal(err)
		}
		batch := events.SQSEvent{}
		for _, m := range r.receive(r.eventsURL) {
			queued = append(queued, aws.ToString(m.Body))
			batch.Records = append(batch.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		}
		if _, err := proc.Handle(ctx, batch); err != nil {
			t.Fatal(err)
		}
		r.pump()
	}
	if ev, err := r.events.Get(ctx, "evt_lost"); err != nil || ev.Status != store.StatusProcessed {
		t.Fatalf("the event never queued, after 3 ticks: %v, status %q", err, ev.Status)
	}
	if len(queued) != 1 || !strings.Contains(queued[0], "evt_lost") {
		t.Fatalf("queued: %v, want evt_lost once", queued)
	}
	if got := hook.requests(); len(got) != 1 {
		t.Fatalf("the subscriber got %d POSTs, want 1", len(got))
	}
}

// failingTenants stands for a tenants table that cannot be read.
type failingTenants struct{}

func (failingTenants) IDs(context.Context) ([]string, error) {
	return nil, errors.New("ThrottlingException: the tenants table")
}

// TestUnqueuedCheckFaultLeavesTheSweep: when the tenants cannot be listed, the tick reports
// it and still queues what the sweep index holds.
func TestUnqueuedCheckFaultLeavesTheSweep(t *testing.T) {
	r := newRig(t)
	r.scheduler.Tenants = failingTenants{}
	ctx := context.Background()
	at := r.clock.Now()
	if _, _, err := r.events.PutNew(ctx, store.Event{ID: "evt_entered", TenantID: tenant, Type: "booking.created", CorrelationID: "evt_entered",
		Time: at, Envelope: []byte(`{}`), ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := r.events.EnterSweep(ctx, "evt_entered", at); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(delivery.StuckAfter + time.Minute)
	if err := r.scheduler.Handle(ctx, schedulerTick()); err == nil || !strings.Contains(err.Error(), "tenants table") {
		t.Fatalf("the tick's error: %v", err)
	}
	if queued := r.queued(r.eventsURL, "event_id"); len(queued) != 1 || queued["evt_entered"] != 1 {
		t.Fatalf("queued %v, want the event the sweep index holds", queued)
	}
}
