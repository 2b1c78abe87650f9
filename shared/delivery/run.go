package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/wedsync/webhooks/shared/retry"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// run is what one leased run of a delivery decided: the outcome to record first, then what
// the endpoint's health needs.
type run struct {
	outcome store.Outcome
	sub     store.Subscription
	// slot is set when the run holds one of the endpoint's slots, to be freed.
	slot   bool
	health healthUpdate
	// fast is set when the attempt answered 2xx within fastWithin; fastCleared when the
	// endpoint's fast mark was cleared while the attempt was under way.
	fast, fastCleared bool
	// disable, when set, is why the subscription must be disabled.
	disable string
}

// run decides and, when the endpoint may take it, makes one attempt of the leased d.
func (h *Deliver) run(ctx context.Context, d store.Delivery, now time.Time) run {
	sub, err := h.Subscriptions.Get(ctx, d.SubscriptionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.fail(d, "the subscription was deleted")
	case err != nil:
		return h.fault(ctx, d, now, err)
	case !sub.Active:
		return h.fail(d, "the subscription is disabled")
	}
	breaker := sub.ConsecutiveFailures >= BreakerThreshold
	if probe := time.UnixMilli(sub.ProbeAtMS); breaker && probe.After(now) {
		return h.hold(d, now, probe, d.Holds)
	}
	if sub.RateLimit > 0 {
		slot := d.RateSlotAt
		if slot.IsZero() {
			if slot, err = h.RateLimits.Reserve(ctx, rateKey(sub.ID), sub.RateLimit, now); err != nil {
				return h.fault(ctx, d, now, err)
			}
		}
		if slot.After(now) {
			r := h.hold(d, now, slot, d.Holds)
			r.outcome.RateSlotAt = slot
			return r
		}
	}
	if breaker {
		claimed, next, err := h.Subscriptions.ClaimProbe(ctx, sub.ID, now, now.Add(h.probeInterval()))
		if err != nil {
			return h.fault(ctx, d, now, err)
		}
		if !claimed {
			if !next.After(now) {
				next = now.Add(h.probeInterval())
			}
			return h.hold(d, now, next, d.Holds)
		}
	}
	ev, err := h.Events.GetEventually(ctx, d.EventID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.fail(d, "the event no longer exists (past its retention)")
	case err != nil:
		return h.fault(ctx, d, now, err)
	}
	body, err := render(ev.Envelope, sub.Version)
	if err != nil {
		h.Logger.ErrorContext(ctx, "event not renderable", "delivery_id", d.ID, "error", err.Error())
		return h.fail(d, "the event cannot be rendered at the subscription's event version "+sub.Version)
	}
	set, err := h.opened.Open(ctx, h.Sealer, secrets.Scope{TenantID: sub.TenantID, ResourceID: sub.ID}, sub.SealedSecrets, now, h.secretTTL())
	switch {
	case errors.Is(err, secrets.ErrOpen), errors.Is(err, secrets.ErrUnsealable):
		return h.fail(d, "the subscription's signing secret cannot be opened")
	case err != nil:
		return h.fault(ctx, d, now, err)
	}
	keys := signingKeys(set.Secrets(now))
	if len(keys) == 0 {
		return h.fail(d, "the subscription has no usable signing secret: nothing was sent")
	}
	// An endpoint known to be fast frees its slots within milliseconds: counting them would
	// cost two writes an attempt for a cap it never reaches. Any other claims one.
	known := sub.FastSinceMS != 0
	if !known {
		limit := h.EndpointConcurrency
		if limit <= 0 {
			limit = DefaultEndpointConcurrency
		}
		free, err := h.claimSlot(ctx, sub.ID, limit, now)
		if err != nil {
			return h.fault(ctx, d, now, err)
		}
		if !free {
			return h.hold(d, now, now.Add(h.jitter(backoff(SlotHoldWait, d.Holds, MaxSlotHoldWait))), d.Holds+1)
		}
	}
	var watch *slowWatch
	if known {
		watch = h.watchSlow(ctx, sub.ID)
	}
	a, retryAfter, err := h.post(ctx, sub, d.MessageID, body, keys, now, d.AttemptCount+1)
	cleared := watch.stop()
	var r run
	if errors.Is(err, ErrCutShort) {
		r = h.cutShort(d, sub, a, now)
	} else {
		r = h.settle(d, sub, a, retryAfter, now)
	}
	r.slot, r.fastCleared = !known, cleared
	return r
}

// cutShort keeps an attempt the invocation ended: logged, retried soon, and never counted
// against the endpoint's health.
func (h *Deliver) cutShort(d store.Delivery, sub store.Subscription, a store.Attempt, now time.Time) run {
	return run{sub: sub, outcome: store.Outcome{Attempt: &a, Status: store.DeliveryRetrying,
		NextAttemptAt: now.Add(h.jitter(FaultWait)), At: h.Now().UTC()}}
}

// settle applies the outcome rules to an attempt, from the subscription as the run read it.
func (h *Deliver) settle(d store.Delivery, sub store.Subscription, a store.Attempt, retryAfter time.Duration, now time.Time) run {
	r := run{sub: sub, outcome: store.Outcome{Attempt: &a, At: h.Now().UTC()}}
	if a.StatusCode >= 200 && a.StatusCode < 300 {
		r.outcome.Status, r.health = store.DeliveryDelivered, healthSuccess
		r.fast = time.Duration(a.LatencyMS)*time.Millisecond < h.fastWithin()
		return r
	}
	r.health = healthFailure
	since := now
	if sub.FailingSinceMS != 0 {
		since = time.UnixMilli(sub.FailingSinceMS)
	}
	switch {
	case a.StatusCode == http.StatusGone:
		r.outcome.Status, r.outcome.Reason, r.disable = store.DeliveryFailed, "the endpoint answered 410 Gone", "the endpoint answered 410 Gone"
		return r
	case now.Sub(since) >= h.scaled(DisableAfter):
		r.outcome.Status, r.outcome.Reason, r.disable = store.DeliveryFailed, "the endpoint has failed for 5 days", "the endpoint has failed for 5 days"
		return r
	}
	s := h.schedule(sub)
	wait, ok := s.Wait(d.AttemptCount + 2)
	if !ok {
		r.outcome.Status, r.outcome.Reason = store.DeliveryExhausted, fmt.Sprintf("the retry policy allows %d attempts", s.Attempts())
		return r
	}
	wait = max(wait, min(retryAfter, retry.MaxWait))
	r.outcome.Status, r.outcome.NextAttemptAt = store.DeliveryRetrying, now.Add(wait)
	return r
}

// fail ends d as failed, with no attempt, for reason.
func (h *Deliver) fail(d store.Delivery, reason string) run {
	return run{outcome: store.Outcome{Status: store.DeliveryFailed, Reason: reason, At: h.Now().UTC()}}
}

// fault pushes d's next run back after an error that came before any attempt, with a wait
// that grows with each such error in a row; after MaxFaults of them d fails.
func (h *Deliver) fault(ctx context.Context, d store.Delivery, now time.Time, err error) run {
	faults := d.Faults + 1
	h.Logger.WarnContext(ctx, "delivery run failed before its attempt", "delivery_id", d.ID, "faults", faults, "error", err.Error())
	if faults >= MaxFaults {
		return h.fail(d, fmt.Sprintf("gave up after %d errors in a row; the last: %v", faults, err))
	}
	return run{outcome: store.Outcome{Status: d.Status, NextAttemptAt: now.Add(h.jitter(backoff(FaultWait, faults-1, MaxFaultWait))),
		Reason: err.Error(), Faults: faults, Holds: d.Holds, At: h.Now().UTC()}}
}

// hold keeps d, with no attempt, until until; holds is the new count of slot holds.
func (h *Deliver) hold(d store.Delivery, now, until time.Time, holds int) run {
	if until.Before(now) {
		until = now
	}
	return run{outcome: store.Outcome{Status: d.Status, NextAttemptAt: until, Faults: d.Faults, Holds: holds, At: h.Now().UTC()}}
}

// backoff is base doubled n times, at most ceiling.
func backoff(base time.Duration, n int, ceiling time.Duration) time.Duration {
	if n >= 30 {
		return ceiling
	}
	return min(base<<n, ceiling)
}

// jitter spreads d by ±retry.Jitter when the handler has a random source.
func (h *Deliver) jitter(d time.Duration) time.Duration {
	h.randMu.Lock()
	defer h.randMu.Unlock()
	if h.Rand == nil {
		return d
	}
	return time.Duration(float64(d) * (1 - retry.Jitter + 2*retry.Jitter*h.Rand.Float64()))
}

func (h *Deliver) schedule(sub store.Subscription) retry.Schedule {
	s := retry.Schedule{Scale: h.Scale}
	if p := sub.RetryPolicy; p != nil {
		s.Policy = retry.Policy{MaxAttempts: p.MaxAttempts, Exponential: p.BackoffStrategy == "exponential",
			InitialDelay: time.Duration(p.InitialDelaySeconds) * time.Second}
	}
	h.randMu.Lock()
	defer h.randMu.Unlock()
	if h.Rand != nil {
		s.Rand = rand.New(rand.NewPCG(h.Rand.Uint64(), h.Rand.Uint64()))
	}
	return s
}

// rateKey and slotKey name a subscription's rate-limit bucket and its count of attempts
// under way, in the rate-limit table.
func rateKey(subID string) string { return "deliver#" + subID + "#rate" }
func slotKey(subID string) string { return "deliver#" + subID + "#inflight" }
