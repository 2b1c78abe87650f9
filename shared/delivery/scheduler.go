package delivery

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Scheduler rules.
const (
	// StuckAfter is how long an event may stay stored but unprocessed before it is queued again.
	StuckAfter = 2 * time.Minute
	// DueGrace lets a delayed message deliver a due record before the scheduler queues it again.
	DueGrace = time.Minute
	// sweepLimit bounds what one tick queues, per shard.
	sweepLimit = 250
)

// Sweeper lists what the scheduler must queue again.
type Sweeper interface {
	ListUnprocessed(ctx context.Context, cutoff time.Time, limit int32) ([]string, error)
}

// DueLister lists live deliveries due by a time.
type DueLister interface {
	ListDue(ctx context.Context, now time.Time, limit int32) ([]string, error)
}

// Scheduler runs every minute: it queues deliveries whose next attempt is due and no
// message carries (waits over 900 s, lost messages), and events stored but never queued.
type Scheduler struct {
	Events          Sweeper
	EventsQueue     EventEnqueuer
	Deliveries      DueLister
	DeliveriesQueue BatchEnqueuer
	Now             func() time.Time
	Logger          *slog.Logger
}

// Handle runs one tick.
func (s *Scheduler) Handle(ctx context.Context, _ events.EventBridgeEvent) error {
	now := s.Now().UTC()
	stuck, err := s.Events.ListUnprocessed(ctx, now.Add(-StuckAfter), sweepLimit)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range stuck {
		errs = append(errs, s.EventsQueue.Enqueue(ctx, id))
	}
	due, err := s.Deliveries.ListDue(ctx, now.Add(-DueGrace), sweepLimit)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, s.DeliveriesQueue.EnqueueAll(ctx, due))
	if len(stuck)+len(due) > 0 {
		s.Logger.InfoContext(ctx, "scheduler queued work", "stuck_events", len(stuck), "due_deliveries", len(due))
	}
	return errors.Join(errs...)
}
