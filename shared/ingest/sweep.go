package ingest

import (
	"context"
	"sync"
	"time"
)

// sweepBudget bounds the writes that enter unqueued events into the sweep index: they run
// after the queue failed, perhaps because the request's own deadline was near.
const sweepBudget = 3 * time.Second

// enterSweep is the fault path of storing and queueing: the events ids are stored but their
// keys could not be queued, so they enter the sweep index, where the scheduler finds them
// and queues them until they are processed, whether or not the sender retries. It is best
// effort: the answer is 5xx either way, and a failure is logged.
func (h *Handler) enterSweep(ctx context.Context, ids []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sweepBudget)
	defer cancel()
	at := h.Now().UTC()
	var (
		wg  sync.WaitGroup
		sem = make(chan struct{}, putConcurrency)
	)
	for _, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := h.Events.EnterSweep(ctx, id, at); err != nil {
				h.Logger.ErrorContext(ctx, "unqueued event not entered in the sweep index", "event_id", id, "error", err.Error())
			}
		})
	}
	wg.Wait()
}
