package reactions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// MaxGenerations bounds how deep reactions go below the event a run processes: its children
// are the first generation. The rules derive nothing from a derived event today.
const MaxGenerations = 3

// ErrTooDeep means the rules derived events beyond MaxGenerations (a rule that feeds itself).
var ErrTooDeep = errors.New("reactions go deeper than allowed")

// EventStore keeps derived events with the same idempotent put as ingest, and tells whether
// an event was marked processed.
type EventStore interface {
	PutNew(ctx context.Context, ev store.Event) (store.Event, bool, error)
	Processed(ctx context.Context, id string) (bool, error)
}

var _ EventStore = (*store.Events)(nil)

// ChildStep is a side effect a child has once stored: fan-out to its subscriptions, routing
// a command to act. Like every process step it is idempotent.
type ChildStep interface {
	Name() string
	Apply(ctx context.Context, ev envelope.Envelope) error
}

// Step is the process step that derives what an event calls for and processes each child
// inline, in its parent's run: the child is stored already processed (small, written once,
// never queued and in no sweep index), then its own reactions and its Then steps run.
//
// The event the run processes is marked processed only after this step, so it covers its
// children: a child that exists already has its steps applied again, since the run that
// stored it may have stopped before they were done. Only when the event the run processes
// is marked processed already (a redelivered message; read once, and only when a child
// exists) are an existing child's steps known to be done, and skipped.
type Step struct {
	Events EventStore
	// Then are a child's steps after its own reactions, in order.
	Then      []ChildStep
	Now       func() time.Time
	Retention time.Duration
	// Derive lists what an event calls for; nil means Rules.
	Derive func(envelope.Envelope) []Derived
}

// Name names the step.
func (s *Step) Name() string { return "reactions" }

// run is one Apply: the event it processes and, once read, whether it was processed.
type run struct {
	root            string
	read, processed bool
}

// Apply derives, stores and processes the children of ev.
func (s *Step) Apply(ctx context.Context, ev envelope.Envelope) error {
	return s.apply(ctx, &run{root: ev.ID}, ev, 1)
}

func (s *Step) apply(ctx context.Context, r *run, ev envelope.Envelope, generation int) error {
	derive := s.Derive
	if derive == nil {
		derive = Rules
	}
	derived := derive(ev)
	if len(derived) > 0 && generation > MaxGenerations {
		return fmt.Errorf("%w: %s (%s) would derive generation %d", ErrTooDeep, ev.ID, ev.Type, generation)
	}
	for _, d := range derived {
		child, err := Envelope(ev, d)
		if err != nil {
			return err
		}
		existed, err := s.store(ctx, child)
		if err != nil {
			return fmt.Errorf("reaction %s: %w", d.Reaction, err)
		}
		if existed {
			done, err := s.done(ctx, r)
			if err != nil {
				return fmt.Errorf("reaction %s: %w", d.Reaction, err)
			}
			if done {
				continue
			}
		}
		if err := s.apply(ctx, r, child, generation+1); err != nil {
			return err
		}
		for _, step := range s.Then {
			if err := step.Apply(ctx, child); err != nil {
				return fmt.Errorf("reaction %s, child %s, step %s: %w", d.Reaction, child.ID, step.Name(), err)
			}
		}
	}
	return nil
}

// done reports whether the run's event was marked processed already, reading it once.
func (s *Step) done(ctx context.Context, r *run) (bool, error) {
	if !r.read {
		processed, err := s.Events.Processed(ctx, r.root)
		if err != nil {
			return false, err
		}
		r.read, r.processed = true, processed
	}
	return r.processed, nil
}

// store puts the child, processed, unless it exists; existed says it did.
func (s *Step) store(ctx context.Context, child envelope.Envelope) (existed bool, err error) {
	b, err := json.Marshal(child)
	if err != nil {
		return false, err
	}
	now := s.Now().UTC()
	stored := store.Event{ID: child.ID, TenantID: child.TenantID, ConnectionID: child.ConnectionID, Type: child.Type,
		CorrelationID: child.CorrelationID, Status: store.StatusProcessed, Time: child.Time, Envelope: b,
		ReceivedAt: now, ProcessedAt: now}
	if s.Retention > 0 {
		stored.ExpiresAt = now.Add(s.Retention)
	}
	_, existed, err = s.Events.PutNew(ctx, stored)
	return existed, err
}
