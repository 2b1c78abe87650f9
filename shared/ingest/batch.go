package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
)

// putConcurrency bounds the conditional puts of one batch under way at once; it matches
// the SDK's idle connections per host, so a batch reuses warm connections.
const putConcurrency = 10

// keepAll stores the events of one request, each with its own conditional put, a few at a
// time, then queues the keys of those new or not yet processed, ten to a SendMessageBatch.
// It succeeds only when every event is stored and queued; the first failed put stops the
// puts not yet begun. A partly stored batch is safe to resend: its stored events come back
// as duplicates and are queued again; should it never be resent, the events stored and not
// queued (and those whose put failed, which may have applied) enter the sweep index.
func (h *Handler) keepAll(ctx context.Context, evs []store.Event) ([]Accepted, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, putConcurrency)
		accepted = make([]Accepted, len(evs))
		send     = make([]bool, len(evs))
		failed   = make([]bool, len(evs))
	)
	for i, ev := range evs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			existing, duplicate, err := h.Events.PutNew(ctx, ev)
			if err != nil {
				failed[i] = true
				cancel(err)
				return
			}
			accepted[i] = Accepted{EventID: ev.ID, Duplicate: duplicate}
			send[i] = !duplicate || existing.Status != store.StatusProcessed
		})
	}
	wg.Wait()
	err := context.Cause(ctx)
	ids := make([]string, 0, len(evs))
	seen := make(map[string]bool, len(evs))
	for i, ev := range evs {
		if (send[i] || failed[i] && err != nil) && !seen[ev.ID] {
			seen[ev.ID] = true
			ids = append(ids, ev.ID)
		}
	}
	if err != nil {
		h.enterSweep(ctx, ids)
		return nil, err
	}
	if len(ids) == 0 {
		return accepted, nil
	}
	if err := h.Queue.EnqueueAll(ctx, ids); err != nil {
		var partial *queue.NotEnqueuedError
		if errors.As(err, &partial) {
			ids = partial.IDs
		}
		h.enterSweep(ctx, ids)
		return nil, fmt.Errorf("%w: %w", inbound.ErrEnqueueFailed, err)
	}
	return accepted, nil
}
