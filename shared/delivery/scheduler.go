package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
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

// UnqueuedFinder finds a tenant's events, timed in a span, that were stored to be processed
// and carry no processed marker, and enters one in the sweep index.
type UnqueuedFinder interface {
	Unmarked(ctx context.Context, tenantID string, from, to time.Time) ([]string, error)
	EnterSweep(ctx context.Context, id string, at time.Time) error
}

// TenantLister lists every tenant's id.
type TenantLister interface {
	IDs(ctx context.Context) ([]string, error)
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
// It also closes the last window of ingest: an event stored by an ingest that died before
// queueing it ran no fault path, so each tick looks at every tenant's events of one
// minute, StuckAfter old, and enters the unprocessed ones in the sweep index.
// Each tick reads at most a budget of each, shared fairly among the indexes' shards; when
// more is due it goes on next tick where this one stopped, so records that stay at the
// head of an index cannot starve those behind them. An event it queues again is not
// queued again before a wait that doubles each time, so a backlog is not deepened at every
// tick.
type Scheduler struct {
	Events      Sweeper
	EventsQueue EventBatchEnqueuer
	// Unqueued and Tenants find the events stored but never queued; nil skips that step.
	Unqueued        UnqueuedFinder
	Tenants         TenantLister
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

// Handle runs one tick. The minute whose events it checks for never being queued is the
// one StuckAfter before the tick's scheduled time (so a tick EventBridge retries checks the
// same minute).
func (s *Scheduler) Handle(ctx context.Context, tick events.EventBridgeEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now().UTC()
	at := tick.Time
	if at.IsZero() {
		at = now
	}
	caught, errCaught := s.catchUnqueued(ctx, at)
	stuck, errStuck := s.requeueStuck(ctx, now)
	due, errDue := s.enqueueDue(ctx, now)
	if caught+stuck+due > 0 {
		s.Logger.InfoContext(ctx, "scheduler queued work", "unqueued_events", caught, "stuck_events", stuck, "due_deliveries", due)
	}
	return errors.Join(errCaught, errStuck, errDue)
}

// catchUnqueued enters in the sweep index every tenant's events timed in the minute that
// ended StuckAfter before at and not processed, with that minute's start as their sweep
// time, so the same tick's sweep queues them: an event unprocessed StuckAfter after its
// time is queued again, as the sweep does with the events a fault path entered. One that
// was only waiting behind a backlog is then queued twice, and its next sweeps wait longer.
func (s *Scheduler) catchUnqueued(ctx context.Context, at time.Time) (int, error) {
	if s.Unqueued == nil || s.Tenants == nil {
		return 0, nil
	}
	tenants, err := s.Tenants.IDs(ctx)
	if err != nil {
		return 0, err
	}
	to := at.Truncate(time.Minute).Add(-StuckAfter)
	from := to.Add(-time.Minute)
	var caught atomic.Int64
	err = fewAtATime(len(tenants), func(i int) error {
		ids, err := s.Unqueued.Unmarked(ctx, tenants[i], from, to)
		for _, id := range ids {
			if e := s.Unqueued.EnterSweep(ctx, id, from); e != nil {
				err = errors.Join(err, e)
				continue
			}
			caught.Add(1)
			s.Logger.WarnContext(ctx, "event stored but not processed 2 minutes after its time: entered in the sweep", "event_id", id, "tenant_id", tenants[i])
		}
		return err
	})
	return int(caught.Load()), err
}

// fewAtATime runs do(0) … do(n-1), moveConcurrency at a time, and joins their errors.
func fewAtATime(n int, do func(i int) error) error {
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, moveConcurrency)
		errs = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = do(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
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
	errMove := fewAtATime(len(found), func(i int) error {
		if failed[found[i].ID] {
			return nil
		}
		_, err := s.Events.MoveSweep(ctx, found[i], now.Add(SweepWait(found[i].Sweeps+1)-StuckAfter))
		return err
	})
	return len(found) - len(failed), errors.Join(errMove, errQueue, errLeave)
}

// leaveSweep takes processed events out of the sweep index, a few at a time.
func (s *Scheduler) leaveSweep(ctx context.Context, done []store.Swept) error {
	return fewAtATime(len(done), func(i int) error { return s.Events.LeaveSweep(ctx, done[i]) })
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
