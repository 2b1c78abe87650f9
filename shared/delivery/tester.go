package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// TestEventType is the type of the event POST /v1/subscriptions/{id}/test sends.
const TestEventType = envelope.WebhookTest

// EventPutter stores events.
type EventPutter interface {
	PutNew(ctx context.Context, ev store.Event) (store.Event, bool, error)
}

// Tester sends a subscription a signed test event through the ordinary delivery path.
type Tester struct {
	Events     EventPutter
	Deliveries DeliveryCreator
	Queue      BatchEnqueuer
	Now        func() time.Time
	Retention  time.Duration
}

// SendTest stores a test event and queues its one delivery, to sub only.
func (t *Tester) SendTest(ctx context.Context, sub store.Subscription) (store.Delivery, error) {
	now := t.Now().UTC()
	id := envelope.EventID("wedsync:"+sub.ID, "test:"+strconv.FormatInt(now.UnixNano(), 10))
	data, _ := json.Marshal(map[string]string{"subscription_id": sub.ID, "message": "A test event from WedSync Webhooks."})
	env := envelope.Envelope{
		SpecVersion: envelope.SpecVersion, ID: id, Type: TestEventType, Source: "wedsync/platform", Time: now,
		DataContentType: "application/json", TenantID: sub.TenantID, Provider: "wedsync", CorrelationID: id,
		Origin: envelope.OriginSync, EventVersion: envelope.Version, Data: data,
	}
	b, err := json.Marshal(env)
	if err != nil {
		return store.Delivery{}, err
	}
	// The test event goes to sub alone: it is never fanned out, so it is stored processed.
	ev := store.Event{ID: id, TenantID: sub.TenantID, Type: TestEventType, CorrelationID: id, Status: store.StatusProcessed,
		Time: now, Envelope: b, ReceivedAt: now, ProcessedAt: now}
	if t.Retention > 0 {
		ev.ExpiresAt = now.Add(t.Retention)
	}
	if _, _, err := t.Events.PutNew(ctx, ev); err != nil {
		return store.Delivery{}, fmt.Errorf("store test event: %w", err)
	}
	d := store.Delivery{
		ID: DeliveryID(id, sub.ID, 0), TenantID: sub.TenantID, SubscriptionID: sub.ID, EventID: id, EventType: TestEventType,
		MessageID: MessageID(id, sub.ID), Status: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if t.Retention > 0 {
		d.ExpiresAt = now.Add(t.Retention)
	}
	if _, err := t.Deliveries.Create(ctx, d); err != nil {
		return store.Delivery{}, err
	}
	return d, t.Queue.EnqueueAll(ctx, []string{d.ID})
}

// Rescheduler makes a delivery due again.
type Rescheduler interface {
	Reschedule(ctx context.Context, tenantID, id string, now time.Time) error
}

// Retry makes a tenant's delivery that is not delivered due now and queues it.
func (t *Tester) Retry(ctx context.Context, deliveries Rescheduler, tenantID, id string) error {
	if err := deliveries.Reschedule(ctx, tenantID, id, t.Now().UTC()); err != nil {
		return err
	}
	return t.Queue.EnqueueAll(ctx, []string{id})
}

// Replay sends an event again to subs (all of them matching it, or the one asked for) as
// replay number replay: new deliveries with the same webhook-id as the originals. Their
// records are created here, due now, so the answer's ids can be read at once.
func (t *Tester) Replay(ctx context.Context, ev envelope.Envelope, subs []store.Subscription, replay int) ([]string, error) {
	now := t.Now().UTC()
	ids := make([]string, 0, len(subs))
	var created []string
	for _, sub := range subs {
		d := store.Delivery{
			ID: DeliveryID(ev.ID, sub.ID, replay), TenantID: ev.TenantID, SubscriptionID: sub.ID,
			EventID: ev.ID, EventType: ev.Type, MessageID: MessageID(ev.ID, sub.ID), Replay: replay,
			Status: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		}
		if t.Retention > 0 {
			d.ExpiresAt = now.Add(t.Retention)
		}
		ok, err := t.Deliveries.Create(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("replay %s: %w", ev.ID, err)
		}
		if ok {
			created = append(created, d.ID)
		}
		ids = append(ids, d.ID)
	}
	if err := t.Queue.EnqueueAll(ctx, created); err != nil {
		return nil, err
	}
	return ids, nil
}
