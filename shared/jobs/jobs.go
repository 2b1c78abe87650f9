package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// KindErase erases one contact's e-mail address from the tenant's event data.
const KindErase = "contact.erase"

// Store keeps job records.
type Store interface {
	Create(ctx context.Context, job store.Job) error
	Get(ctx context.Context, id string) (store.Job, error)
	Advance(ctx context.Context, job store.Job, now time.Time) (bool, error)
}

var _ Store = (*store.Jobs)(nil)

// inputScope seals a job's input for its tenant and the job alone.
func inputScope(job store.Job) secrets.Scope {
	return secrets.Scope{TenantID: job.TenantID, ResourceID: job.ID}
}

// Starter starts jobs: the management API's side.
type Starter struct {
	Jobs   Store
	Queue  queue.Sender
	URL    string
	Sealer secrets.Sealer
	Now    func() time.Time
}

// StartErase records a queued erasure of address for tenant under id, the address sealed,
// and queues its first step. The address must be one (erase.ErrBadAddress).
func (s *Starter) StartErase(ctx context.Context, id, tenant, address string) (store.Job, error) {
	if _, err := erase.NewMatcher(address); err != nil {
		return store.Job{}, err
	}
	now := s.Now().UTC()
	job := store.Job{ID: id, TenantID: tenant, Kind: KindErase, Status: store.JobQueued, CreatedAt: now, UpdatedAt: now}
	sealed, err := s.Sealer.Seal(ctx, inputScope(job), address)
	if err != nil {
		return store.Job{}, err
	}
	job.SealedInput = sealed
	if err := s.Jobs.Create(ctx, job); err != nil {
		return store.Job{}, err
	}
	if err := queue.EnqueueJob(ctx, s.Queue, s.URL, queue.JobMessage{JobID: id}); err != nil {
		return store.Job{}, err
	}
	job.SealedInput = ""
	return job, nil
}

// Get loads a job.
func (s *Starter) Get(ctx context.Context, id string) (store.Job, error) { return s.Jobs.Get(ctx, id) }

// DefaultBudget is how long one step works at most; a step also stops StepMargin before its
// invocation's deadline.
const (
	DefaultBudget = 40 * time.Second
	StepMargin    = 15 * time.Second
)

// Runner runs job steps: the act worker's side.
type Runner struct {
	Jobs   Store
	Queue  queue.Sender
	URL    string
	Sealer secrets.Sealer
	Eraser *erase.Eraser
	Now    func() time.Time
	// Budget bounds one step's work; 0 means DefaultBudget.
	Budget time.Duration
	Logger *slog.Logger
}

// Step runs the step m names. A copy of a step already taken changes nothing (the one just
// before the job's current step queues the current one again, in case that was lost); a
// step that fails for want of AWS returns its error, so its message comes back.
func (r *Runner) Step(ctx context.Context, m queue.JobMessage) error {
	job, err := r.Jobs.Get(ctx, m.JobID)
	if errors.Is(err, store.ErrNotFound) {
		r.Logger.WarnContext(ctx, "job step of no job", "job_id", m.JobID)
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case job.Done():
		return nil
	case m.Step == job.Step-1:
		return queue.EnqueueJob(ctx, r.Queue, r.URL, queue.JobMessage{JobID: job.ID, Step: job.Step})
	case m.Step != job.Step:
		return nil
	}
	if job.Kind != KindErase {
		return r.end(ctx, job, fmt.Sprintf("unknown job kind %q", job.Kind))
	}
	address, err := r.Sealer.Open(ctx, inputScope(job), job.SealedInput)
	if err != nil {
		return r.end(ctx, job, "the job's input cannot be opened")
	}
	var st erase.State
	if job.State != "" {
		if err := json.Unmarshal([]byte(job.State), &st); err != nil {
			return r.end(ctx, job, "the job's state is unreadable")
		}
	}
	eraser := *r.Eraser
	if eraser.Now == nil {
		eraser.Now = r.Now // the step's time limit is read on the runner's clock
	}
	res, err := eraser.Run(ctx, erase.Request{TenantID: job.TenantID, Address: address}, st, r.until(ctx), nil)
	if errors.Is(err, erase.ErrBadAddress) || errors.Is(err, erase.ErrNoTenant) {
		return r.end(ctx, job, err.Error())
	}
	if err != nil {
		return err
	}
	state, _ := json.Marshal(res.State)
	job.Counts, job.State, job.Status = res.State.Counts, string(state), store.JobRunning
	if res.Done {
		job.Status = store.JobSucceeded
	}
	advanced, err := r.Jobs.Advance(ctx, job, r.Now().UTC())
	if err != nil || !advanced || res.Done {
		if res.Done && advanced {
			r.Logger.InfoContext(ctx, "job done", "job_id", job.ID, "tenant_id", job.TenantID, "kind", job.Kind, "steps", job.Step+1)
		}
		return err
	}
	return queue.EnqueueJob(ctx, r.Queue, r.URL, queue.JobMessage{JobID: job.ID, Step: job.Step + 1})
}

// until is when a step stops: its budget, or StepMargin before the invocation's deadline.
func (r *Runner) until(ctx context.Context) time.Time {
	budget := r.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	until := r.Now().Add(budget)
	if d, ok := ctx.Deadline(); ok && d.Add(-StepMargin).Before(until) {
		until = d.Add(-StepMargin)
	}
	return until
}

// GiveUp ends the job m belongs to as failed with reason, unless it is done or has moved
// past m's step: the act worker gives up a step that failed on every receive its message
// had, rather than leave the job running with its step in the dead-letter queue.
func (r *Runner) GiveUp(ctx context.Context, m queue.JobMessage, reason string) error {
	job, err := r.Jobs.Get(ctx, m.JobID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case job.Done() || job.Step != m.Step:
		return nil
	}
	return r.end(ctx, job, reason)
}

// end fails the job with reason; its input goes with it.
func (r *Runner) end(ctx context.Context, job store.Job, reason string) error {
	job.Status, job.Error = store.JobFailed, reason
	_, err := r.Jobs.Advance(ctx, job, r.Now().UTC())
	r.Logger.WarnContext(ctx, "job failed", "job_id", job.ID, "tenant_id", job.TenantID, "reason", reason)
	return err
}
