package delivery_test

import (
	"context"
	"encoding/json"
	"log/slog"
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
