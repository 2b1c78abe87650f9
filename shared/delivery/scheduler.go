package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
)

// Scheduler rules.
const (
	// StuckAfter is how long an event may stay stored but unprocessed before it is queued again.
	StuckAfter = 2 * time.Minute
	// MaxSweepWait caps the wait before an event queued again by the scheduler, and still not
	// processed, is queued once more. The waits double from 2 × StuckAfter up to it.
	MaxSweepWait = 6 * time.Hour
	// DueGrace lets a delayed message deliver a due record before the scheduler queues it again.
	DueGrace = time.Minute
	// DefaultEventBudget bounds the unprocessed events one tick queues again.
	DefaultEventBudget = 2000
	// DefaultDueBudget bounds the due deliveries one tick queues.
	DefaultDueBudget = 5000
	// DefaultBacklogLimit is the deliveries queue's visible backlog at which a tick queues no
	// due delivery: the messages waiting already carry them, and more would only deepen
	// the backlog every tick. Records whose message was lost are queued once it drains.
	DefaultBacklogLimit = 1000
	// moveConcurrency bounds the sweep-time updates under way at once.
	moveConcurrency = 10
)

// Sweeper finds the events of the sweep index, records that it queued them again, and
// takes the processed ones out.
type Sweeper interface {
	SweepUnprocessed(ctx context.Context, cutoff time.Time, budget int, from store.SweepCursor) ([]store.Swept, store.SweepCursor, error)
	MoveSweep(ctx context.Context, found store.Swept, at time.Time) (bool, error)
	LeaveSweep(ctx context.Context, found store.Swept) error
}

// DueLister lists live deliveries due by a time.
type DueLister interface {
	ListDue(ctx context.Context, now time.Time, budget int, from store.SweepCursor) ([]string, store.SweepCursor, error)
}

// BacklogReader reads how many messages wait on the deliveries queue.
type BacklogReader interface {
	Visible(ctx context.Context) (int, error)
}

// EventBatchEnqueuer queues event keys, many at a time.
type EventBatchEnqueuer interface {
	EnqueueAll(ctx context.Context, eventIDs []string) error
}

// Scheduler runs every minute: it queues deliveries whose next attempt is due and no
// message carries (waits over 900 s, lost messages), and the events of the sweep index
// (stored but not queued, or failing on their last receives) until they are processed.
// Each tick reads at most a budget of each, shared fairly among the indexes' shards; when
// more is due it goes on next tick where this one stopped, so records that stay at the
// head of an index cannot starve those behind them. An event it queues again is not
// queued again before a wait that doubles each time, so a backlog is not deepened at every
// tick.
type Scheduler struct {
	Events          Sweeper
	EventsQueue     EventBatchEnqueuer
	Deliveries      DueLister
	DeliveriesQueue BatchEnqueuer
	Now             func() time.Time
	Logger          *slog.Logger
	// EventBudget and DueBudget bound one tick's work; 0 means the defaults.
	EventBudget, DueBudget int
	// Backlog, when set, holds the due sweep while the deliveries queue has BacklogLimit
	// (0: DefaultBacklogLimit) visible messages or more.
	Backlog      BacklogReader
	BacklogLimit int

	mu                     sync.Mutex
	eventCursor, dueCursor store.SweepCursor
}

// Handle runs one tick.
func (s *Scheduler) Handle(ctx context.Context, _ events.EventBridgeEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now().UTC()
	stuck, errStuck := s.requeueStuck(ctx, now)
	due, errDue := s.enqueueDue(ctx, now)
	if stuck+due > 0 {
		s.Logger.InfoContext(ctx, "scheduler queued work", "stuck_events", stuck, "due_deliveries", due)
	}
	return errors.Join(errStuck, errDue)
}

// requeueStuck queues again the events of the sweep index whose sweep time is over
// StuckAfter ago and moves each one's sweep time on by its next wait; the processed ones it
// finds leave the index instead.
func (s *Scheduler) requeueStuck(ctx context.Context, now time.Time) (int, error) {
	swept, next, err := s.Events.SweepUnprocessed(ctx, now.Add(-StuckAfter), budget(s.EventBudget, DefaultEventBudget), s.eventCursor)
	if err != nil {
		return 0, err
	}
	s.eventCursor = next
	var found, done []store.Swept
	var ids []string
	for _, f := range swept {
		if f.Processed {
			done = append(done, f)
		} else {
			found, ids = append(found, f), append(ids, f.ID)
		}
	}
	errLeave := s.leaveSweep(ctx, done)
	errQueue := s.EventsQueue.EnqueueAll(ctx, ids)
	failed := map[string]bool{}
	var partial *queue.NotEnqueuedError
	if errors.As(errQueue, &partial) {
		for _, id := range partial.IDs {
			failed[id] = true
		}
	} else if errQueue != nil {
		return 0, errors.Join(errQueue, errLeave)
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, moveConcurrency)
		errs = make([]error, len(found))
	)
	for i, f := range found {
		if failed[f.ID] {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[i] = s.Events.MoveSweep(ctx, f, now.Add(SweepWait(f.Sweeps+1)-StuckAfter))
		})
	}
	wg.Wait()
	return len(found) - len(failed), errors.Join(append(errs, errQueue, errLeave)...)
}

// leaveSweep takes processed events out of the sweep index, a few at a time.
func (s *Scheduler) leaveSweep(ctx context.Context, done []store.Swept) error {
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, moveConcurrency)
		errs = make([]error, len(done))
	)
	for i, f := range done {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = s.Events.LeaveSweep(ctx, f)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// enqueueDue queues the deliveries due over DueGrace ago.
func (s *Scheduler) enqueueDue(ctx context.Context, now time.Time) (int, error) {
	if s.Backlog != nil {
		waiting, err := s.Backlog.Visible(ctx)
		if err == nil && waiting >= budget(s.BacklogLimit, DefaultBacklogLimit) {
			s.Logger.InfoContext(ctx, "due sweep held: the deliveries queue has a backlog", "visible_messages", waiting)
			return 0, nil
		}
		if err != nil {
			s.Logger.WarnContext(ctx, "deliveries backlog unknown; sweeping", "error", err.Error())
		}
	}
	due, next, err := s.Deliveries.ListDue(ctx, now.Add(-DueGrace), budget(s.DueBudget, DefaultDueBudget), s.dueCursor)
	if err != nil {
		return 0, err
	}
	s.dueCursor = next
	return len(due), s.DeliveriesQueue.EnqueueAll(ctx, due)
}

// SweepWait is how long after its sweeps-th requeue an event still not processed waits
// before the scheduler queues it again: StuckAfter doubled sweeps times, at most
// MaxSweepWait.
func SweepWait(sweeps int) time.Duration {
	wait := StuckAfter
	for range sweeps {
		if wait >= MaxSweepWait/2 {
			return MaxSweepWait
		}
		wait *= 2
	}
	return wait
}

func budget(set, def int) int {
	if set > 0 {
		return set
	}
	return def
}
