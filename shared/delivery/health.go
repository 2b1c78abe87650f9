package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// healthBudget bounds the endpoint-health writes that follow a recorded outcome.
const healthBudget = 10 * time.Second

// healthUpdate is what an attempt tells about its endpoint.
type healthUpdate int

const (
	healthNone healthUpdate = iota
	healthSuccess
	healthFailure
)

// keepHealth applies what a run learnt about the endpoint, after its outcome is recorded:
// it frees the run's slot, notes the success or failure and disables the subscription when
// the rules say so. A success writes only when it changes something: the endpoint's failure
// state, or its fast mark (set by a fast 2xx, cleared by a slow one; a failure clears it in
// its own write). Each write is best-effort: a failure is logged, never retried, and never
// changes the recorded outcome.
func (h *Deliver) keepHealth(ctx context.Context, r run) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthBudget)
	defer cancel()
	sub, now := r.sub, h.Now().UTC()
	logged := func(what string, err error) {
		if err != nil {
			h.Logger.WarnContext(ctx, "endpoint health not kept", "subscription_id", sub.ID, "write", what, "error", err.Error())
		}
	}
	if r.slot {
		logged("free slot", h.RateLimits.FreeSlot(ctx, slotKey(sub.ID)))
	}
	switch r.health {
	case healthSuccess:
		failing := sub.FailingSinceMS != 0 || sub.ConsecutiveFailures != 0 || sub.ProbeAtMS != 0
		marked := sub.FastSinceMS != 0 && !r.fastCleared
		switch {
		case r.fast && (failing || !marked):
			logged("record success", h.Subscriptions.RecordSuccess(ctx, sub.ID, now))
		case !r.fast && (failing || marked):
			logged("record success", h.Subscriptions.RecordSuccess(ctx, sub.ID, time.Time{}))
		}
	case healthFailure:
		logged("record failure", h.Subscriptions.RecordFailure(ctx, sub.ID, now, now.Add(h.probeInterval())))
	}
	if r.disable != "" {
		logged("disable", h.disable(ctx, sub, r.disable, now))
	}
}

// disable turns the subscription off and emits subscription.disabled.
func (h *Deliver) disable(ctx context.Context, sub store.Subscription, reason string, now time.Time) error {
	changed, err := h.Subscriptions.Disable(ctx, sub.ID, reason, now)
	if err != nil || !changed {
		return err
	}
	data, _ := json.Marshal(map[string]any{
		"subscription_id": sub.ID, "endpoint_url": sub.EndpointURL, "reason": reason,
		"disabled_at": now.UTC().Format(time.RFC3339),
	})
	id := envelope.EventID("wedsync:"+sub.ID, "subscription.disabled:"+strconv.FormatInt(now.UnixMilli(), 10))
	env := envelope.Envelope{
		SpecVersion: envelope.SpecVersion, ID: id, Type: envelope.SubscriptionDisabled, Source: "wedsync/platform",
		Time: now.UTC(), DataContentType: "application/json", TenantID: sub.TenantID, Provider: "wedsync",
		CorrelationID: id, Origin: envelope.OriginSync, EventVersion: envelope.Version, Data: data,
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	if _, _, err := h.Events.PutNew(ctx, store.Event{ID: id, TenantID: sub.TenantID, Type: env.Type, CorrelationID: id,
		Time: now, Envelope: b, ReceivedAt: now}); err != nil {
		// The put may have applied, and nothing emits this event again.
		return fmt.Errorf("emit subscription.disabled: %w", errors.Join(err, h.Events.EnterSweep(ctx, id, now)))
	}
	h.Logger.WarnContext(ctx, "subscription disabled", "subscription_id", sub.ID, "tenant_id", sub.TenantID, "reason", reason)
	if err := h.EventsQueue.Enqueue(ctx, id); err != nil {
		return errors.Join(err, h.Events.EnterSweep(ctx, id, now))
	}
	return nil
}

// probeInterval is the wait between an open breaker's probes: the scaled ProbeInterval, but
// never less than one attempt's timeout, so probes to a hanging endpoint never overlap.
func (h *Deliver) probeInterval() time.Duration {
	return max(h.scaled(ProbeInterval), h.timeout())
}

// Brief waits for a busy endpoint's slot within one run: a healthy endpoint frees one within
// milliseconds, which beats holding the delivery for a second or more.
const (
	slotTries = 4
	slotWait  = 50 * time.Millisecond
)

// claimSlot claims one of the endpoint's slots, trying again briefly while all are taken.
func (h *Deliver) claimSlot(ctx context.Context, subID string, limit int, now time.Time) (bool, error) {
	for try := 0; ; try++ {
		free, err := h.RateLimits.ClaimSlot(ctx, slotKey(subID), limit, now, now.Add(h.lease()))
		if err != nil || free || try == slotTries {
			return free, err
		}
		t := time.NewTimer(slotWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
}
