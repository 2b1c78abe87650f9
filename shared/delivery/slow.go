package delivery

import (
	"context"
	"time"
)

// slowWatch clears a fast endpoint's mark as soon as an attempt to it outlasts fastWithin,
// while the attempt is still under way: the runs that start meanwhile claim slots again,
// so an endpoint that stops answering takes at most the workers of about fastWithin, not
// of a whole attempt timeout.
type slowWatch struct {
	timer   *time.Timer
	done    chan struct{}
	cleared bool
}

// watchSlow starts the watch of one attempt to the endpoint of subscription subID.
func (h *Deliver) watchSlow(ctx context.Context, subID string) *slowWatch {
	w := &slowWatch{done: make(chan struct{})}
	w.timer = time.AfterFunc(h.fastWithin(), func() {
		defer close(w.done)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthBudget)
		defer cancel()
		if err := h.Subscriptions.ClearFast(ctx, subID); err != nil {
			h.Logger.WarnContext(ctx, "endpoint health not kept", "subscription_id", subID, "write", "clear fast mark", "error", err.Error())
			return
		}
		w.cleared = true
	})
	return w
}

// stop ends the watch once the attempt is over, waiting for a clearing under way, and
// reports whether the mark was cleared.
func (w *slowWatch) stop() bool {
	if w == nil || w.timer.Stop() {
		return false
	}
	<-w.done
	return w.cleared
}
