package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/queue"
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

// NewEnqueuer queues fan-out's messages, each carrying what creating its delivery needs.
type NewEnqueuer interface {
	EnqueueNew(ctx context.Context, msgs []queue.DeliveryMessage) error
}

// Fanout is the process step that sends an event to every matching subscription: one
// message each, carrying the delivery's deterministic id and what creating its record
// needs. It writes no record: deliver creates each when it first leases it.
type Fanout struct {
	Subscriptions SubscriptionLister
	Queue         NewEnqueuer
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

// Apply queues the event's deliveries. Running it again (a process run repeated) queues
// them again; deliver's lease makes a copy do nothing once another copy leased its delivery:
// it is under way, delivered, or waiting for its next attempt.
func (f *Fanout) Apply(ctx context.Context, ev envelope.Envelope) error {
	var msgs []queue.DeliveryMessage
	now := f.Now().UTC()
	cursor := ""
	for {
		page, err := f.Subscriptions.ListRouting(ctx, ev.TenantID, cursor, 100, func(s store.Subscription) bool { return Matches(s, ev) })
		if err != nil {
			return err
		}
		for _, sub := range page.Items {
			msgs = append(msgs, f.message(ev, sub.ID, now))
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if err := f.Queue.EnqueueNew(ctx, msgs); err != nil {
		return fmt.Errorf("fan out %s: %w", ev.ID, err)
	}
	return nil
}

// message is the message of the event's first delivery to a subscription.
func (f *Fanout) message(ev envelope.Envelope, subID string, now time.Time) queue.DeliveryMessage {
	nd := &queue.NewDelivery{TenantID: ev.TenantID, SubscriptionID: subID, EventID: ev.ID, EventType: ev.Type,
		MessageID: MessageID(ev.ID, subID), CreatedAt: now}
	if f.Retention > 0 {
		nd.ExpiresAt = now.Add(f.Retention)
	}
	return queue.DeliveryMessage{DeliveryID: DeliveryID(ev.ID, subID, 0), New: nd}
}
