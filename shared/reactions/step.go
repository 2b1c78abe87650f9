package reactions

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// EventStore keeps derived events with the same idempotent put as ingest.
type EventStore interface {
	PutNew(ctx context.Context, ev store.Event) (store.Event, bool, error)
}

// Enqueuer queues an event's key.
type Enqueuer interface {
	Enqueue(ctx context.Context, eventID string) error
}

// Step is the process step that stores and queues what an event calls for. A child that
// exists already is queued again unless processed, as ingest does.
type Step struct {
	Events    EventStore
	Queue     Enqueuer
	Now       func() time.Time
	Retention time.Duration
}

// Name names the step.
func (s *Step) Name() string { return "reactions" }

// Apply derives, stores and queues the children of ev.
func (s *Step) Apply(ctx context.Context, ev envelope.Envelope) error {
	for _, d := range Rules(ev) {
		child, err := Envelope(ev, d)
		if err != nil {
			return err
		}
		b, err := json.Marshal(child)
		if err != nil {
			return err
		}
		now := s.Now().UTC()
		stored := store.Event{ID: child.ID, TenantID: child.TenantID, ConnectionID: child.ConnectionID, Type: child.Type,
			CorrelationID: child.CorrelationID, Time: child.Time, Envelope: b, ReceivedAt: now}
		if s.Retention > 0 {
			stored.ExpiresAt = now.Add(s.Retention)
		}
		existing, duplicate, err := s.Events.PutNew(ctx, stored)
		if err != nil {
			return fmt.Errorf("reaction %s: %w", d.Reaction, err)
		}
		if duplicate && existing.Status == store.StatusProcessed {
			continue
		}
		if err := s.Queue.Enqueue(ctx, child.ID); err != nil {
			return fmt.Errorf("reaction %s: %w", d.Reaction, err)
		}
	}
	return nil
}
