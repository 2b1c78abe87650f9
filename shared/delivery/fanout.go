package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// SubscriptionLister lists what routing an event needs of a tenant's subscriptions.
type SubscriptionLister interface {
	ListRouting(ctx context.Context, tenantID, cursor string, limit int32, keep func(store.Subscription) bool) (store.Page[store.Subscription], error)
}

// DeliveryCreator creates delivery records idempotently.
type DeliveryCreator interface {
	Create(ctx context.Context, d store.Delivery) (bool, error)
}

// BatchEnqueuer queues delivery keys.
type BatchEnqueuer interface {
	EnqueueAll(ctx context.Context, ids []string) error
}

// Fanout is the process step that sends an event to every matching subscription: one
// delivery record (deterministic id) and one message each. Running it twice for one event
// creates nothing new.
type Fanout struct {
	Subscriptions SubscriptionLister
	Deliveries    DeliveryCreator
	Queue         BatchEnqueuer
	Now           func() time.Time
	Retention     time.Duration
}

// Name names the step.
func (f *Fanout) Name() string { return "fanout" }

// Matches reports whether a subscription receives ev.
func Matches(sub store.Subscription, ev envelope.Envelope) bool {
	if !sub.Active || (sub.Source != "" && sub.Source != ev.Provider) {
		return false
	}
	for _, p := range sub.EventTypes {
		if p == "*" || p == ev.Type {
			return true
		}
		if n := len(p); n > 2 && p[n-2:] == ".*" && len(ev.Type) > n-1 && ev.Type[:n-1] == p[:n-1] {
			return true
		}
	}
	return false
}

// Apply creates and queues the event's deliveries. A delivery that already exists was queued
// when it was created; should that message have been lost, the scheduler finds the delivery
// due and queues it again.
func (f *Fanout) Apply(ctx context.Context, ev envelope.Envelope) error {
	var subs []store.Subscription
	cursor := ""
	for {
		page, err := f.Subscriptions.ListRouting(ctx, ev.TenantID, cursor, 100, func(s store.Subscription) bool { return Matches(s, ev) })
		if err != nil {
			return err
		}
		subs = append(subs, page.Items...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	return f.deliver(ctx, ev, subs, 0)
}

func (f *Fanout) deliver(ctx context.Context, ev envelope.Envelope, subs []store.Subscription, replay int) error {
	now := f.Now().UTC()
	var ids []string
	for _, sub := range subs {
		d := store.Delivery{
			ID: DeliveryID(ev.ID, sub.ID, replay), TenantID: ev.TenantID, SubscriptionID: sub.ID,
			EventID: ev.ID, EventType: ev.Type, MessageID: MessageID(ev.ID, sub.ID), Replay: replay,
			Status: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		}
		if f.Retention > 0 {
			d.ExpiresAt = now.Add(f.Retention)
		}
		created, err := f.Deliveries.Create(ctx, d)
		if err != nil {
			return fmt.Errorf("fan out %s: %w", ev.ID, err)
		}
		if created {
			ids = append(ids, d.ID)
		}
	}
	return f.Queue.EnqueueAll(ctx, ids)
}
