package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/retry"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
	"github.com/wedsync/webhooks/shared/store"
)

// Outcome rules and limits.
const (
	// BreakerThreshold consecutive failures open an endpoint's breaker.
	BreakerThreshold = 5
	// ProbeInterval is how often an open breaker lets one delivery through (scaled).
	ProbeInterval = 60 * time.Second
	// DisableAfter of continuous failure disables a subscription.
	DisableAfter = 5 * 24 * time.Hour
	// DefaultTimeout bounds one attempt.
	DefaultTimeout = 15 * time.Second
	// MaxResponseBytes of a response body are kept in the attempt log.
	MaxResponseBytes = 4 << 10
	// DefaultEndpointConcurrency is how many attempts may be under way to one endpoint.
	DefaultEndpointConcurrency = 10
	// UserAgent identifies our deliveries.
	UserAgent = "WedSync-Webhooks/1.0"
	// concurrency bounds the attempts one batch makes at once.
	concurrency = 10
	// slotTries more claims, slotWait apart, are made for a busy endpoint before holding.
	slotTries = 4
	slotWait  = 50 * time.Millisecond
)

// DeliveryStore keeps delivery records.
type DeliveryStore interface {
	Get(ctx context.Context, id string) (store.Delivery, error)
	Lease(ctx context.Context, id, owner string, now, until time.Time) (store.Delivery, error)
	Release(ctx context.Context, d store.Delivery, owner string) error
}

// SubscriptionHealth reads subscriptions and keeps their endpoint health.
type SubscriptionHealth interface {
	Get(ctx context.Context, id string) (store.Subscription, error)
	ClaimSlot(ctx context.Context, id string, limit int, now, lapse time.Time) (bool, error)
	RecordSuccess(ctx context.Context, id string, clear bool) error
	RecordFailure(ctx context.Context, id string, now time.Time) (store.Subscription, error)
	ClaimProbe(ctx context.Context, id string, now, next time.Time) (bool, error)
	Disable(ctx context.Context, id, reason string, now time.Time) (bool, error)
}

// EventStore reads events and stores the ones deliveries emit.
type EventStore interface {
	Get(ctx context.Context, id string) (store.Event, error)
	PutNew(ctx context.Context, ev store.Event) (store.Event, bool, error)
}

// DelayedEnqueuer queues a delivery key, visible after a delay of at most 900 s.
type DelayedEnqueuer interface {
	Enqueue(ctx context.Context, deliveryID string, delay time.Duration) error
}

// EventEnqueuer queues an event key.
type EventEnqueuer interface {
	Enqueue(ctx context.Context, eventID string) error
}

// RateLimiter counts a subscription's attempts per second.
type RateLimiter interface {
	Take(ctx context.Context, key string, perSecond int, now time.Time) (bool, error)
}

// Deliver consumes the deliveries queue: one POST per attempt.
type Deliver struct {
	Deliveries    DeliveryStore
	Subscriptions SubscriptionHealth
	Events        EventStore
	EventsQueue   EventEnqueuer
	Queue         DelayedEnqueuer
	RateLimits    RateLimiter
	Sealer        secrets.Sealer
	Client        *http.Client
	Now           func() time.Time
	// Scale multiplies the retry schedule and the probe interval (WEDSYNC_RETRY_SCALE).
	Scale float64
	// Timeout bounds one attempt; the lease outlives it.
	Timeout time.Duration
	// EndpointConcurrency caps the attempts under way to one subscription, so a slow or
	// dead endpoint cannot take every worker; 0 means DefaultEndpointConcurrency.
	EndpointConcurrency int
	// AllowLoopback is the local stack's exception: http to loopback endpoints.
	AllowLoopback bool
	Logger        *slog.Logger
	// Metrics receives deliveries succeeded, failed and exhausted, and delivery latency.
	Metrics *metrics.Recorder

	randMu sync.Mutex
	Rand   *rand.Rand
}

// Handle delivers a batch concurrently and reports the messages to retry.
func (h *Deliver) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		mu   sync.Mutex
		resp events.SQSEventResponse
		wg   sync.WaitGroup
		sem  = make(chan struct{}, concurrency)
	)
	for _, msg := range batch.Records {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := h.deliverMessage(ctx, msg); err != nil {
				h.Logger.ErrorContext(ctx, "delivery not done", "message_id", msg.MessageId, "error", err.Error())
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return resp, nil
}

func (h *Deliver) deliverMessage(ctx context.Context, msg events.SQSMessage) error {
	id, err := queue.ParseDeliveryMessage(msg.Body)
	if err != nil {
		return err
	}
	d, err := h.Deliveries.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		h.Logger.WarnContext(ctx, "delivery message for no delivery", "delivery_id", id)
		return nil
	}
	if err != nil {
		return err
	}
	if !d.Live() {
		return nil
	}
	now := h.Now().UTC()
	if wait := d.NextAttemptAt.Sub(now); wait > time.Second {
		return h.later(ctx, d.ID, wait)
	}
	owner := msg.MessageId + "/" + strconv.FormatInt(now.UnixNano(), 36)
	d, err = h.Deliveries.Lease(ctx, id, owner, now, now.Add(h.timeout()+30*time.Second))
	if errors.Is(err, store.ErrLeased) {
		h.Logger.InfoContext(ctx, "delivery held by another worker", "delivery_id", id)
		return nil
	}
	if err != nil {
		return err
	}
	attempts := len(d.Attempts)
	next, err := h.attempt(ctx, &d, now)
	if err != nil {
		return err
	}
	if len(d.Attempts) > attempts {
		h.record(d)
	}
	d.UpdatedAt = h.Now().UTC()
	if err := h.Deliveries.Release(ctx, d, owner); err != nil {
		return err
	}
	if d.Live() && next > 0 {
		return h.later(ctx, d.ID, next)
	}
	return nil
}

// record emits the metrics of an attempt just made.
func (h *Deliver) record(d store.Delivery) {
	fn := metrics.Dim{Name: "Function", Value: "deliver"}
	switch d.Status {
	case store.DeliveryDelivered:
		h.Metrics.Add("DeliveriesSucceeded", metrics.Count, 1, fn)
		last := d.Attempts[len(d.Attempts)-1]
		h.Metrics.Add("DeliveryLatency", metrics.Milliseconds, float64(last.At.Sub(d.CreatedAt).Milliseconds()+last.LatencyMS), fn)
	case store.DeliveryExhausted:
		h.Metrics.Add("DeliveriesExhausted", metrics.Count, 1, fn)
	default:
		h.Metrics.Add("DeliveriesFailed", metrics.Count, 1, fn)
	}
}

// later queues the delivery again when SQS can carry the wait; longer waits are left to
// the scheduler, which finds the record due.
func (h *Deliver) later(ctx context.Context, id string, wait time.Duration) error {
	if wait > queue.MaxDelay {
		return nil
	}
	return h.Queue.Enqueue(ctx, id, wait)
}

func (h *Deliver) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return DefaultTimeout
}

func (h *Deliver) scaled(d time.Duration) time.Duration {
	if h.Scale > 0 {
		return time.Duration(float64(d) * h.Scale)
	}
	return d
}

// attempt decides and, when due, makes one attempt of d, updating d. It returns the wait
// before the next attempt (0 when none is scheduled by message).
func (h *Deliver) attempt(ctx context.Context, d *store.Delivery, now time.Time) (time.Duration, error) {
	sub, err := h.Subscriptions.Get(ctx, d.SubscriptionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sub.Active) {
		d.Status, d.NextAttemptAt = store.DeliveryFailed, time.Time{}
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if sub.ConsecutiveFailures >= BreakerThreshold {
		probe := time.UnixMilli(sub.ProbeAtMS)
		claimed := false
		if !probe.After(now) {
			if claimed, err = h.Subscriptions.ClaimProbe(ctx, sub.ID, now, now.Add(h.scaled(ProbeInterval))); err != nil {
				return 0, err
			}
		}
		if !claimed {
			hold := max(probe.Sub(now), time.Second)
			if probe.Before(now) {
				hold = h.scaled(ProbeInterval)
			}
			d.NextAttemptAt = now.Add(hold)
			return hold, nil
		}
	}
	if sub.RateLimit > 0 {
		ok, err := h.RateLimits.Take(ctx, sub.ID, sub.RateLimit, now)
		if err != nil {
			return 0, err
		}
		if !ok {
			d.NextAttemptAt = now.Add(time.Second)
			return time.Second, nil
		}
	}
	ev, err := h.Events.Get(ctx, d.EventID)
	if err != nil {
		return 0, err
	}
	set, err := secrets.OpenSet(ctx, h.Sealer, secrets.Scope{TenantID: sub.TenantID, ResourceID: sub.ID}, sub.SealedSecrets)
	if err != nil {
		return 0, err
	}
	limit := h.EndpointConcurrency
	if limit <= 0 {
		limit = DefaultEndpointConcurrency
	}
	free, err := h.claimSlot(ctx, sub.ID, limit, now)
	if err != nil {
		return 0, err
	}
	if !free {
		d.NextAttemptAt = now.Add(time.Second)
		return time.Second, nil
	}
	a, retryAfter := h.post(ctx, sub, d.MessageID, ev.Envelope, set.Secrets(now), now, len(d.Attempts)+1)
	d.Attempts = append(d.Attempts, a)
	return h.settle(ctx, d, sub, a, retryAfter, now)
}

// claimSlot waits briefly for one of the endpoint's slots: a healthy endpoint frees one
// within milliseconds, which beats holding the delivery for a second.
func (h *Deliver) claimSlot(ctx context.Context, subID string, limit int, now time.Time) (bool, error) {
	for try := 0; ; try++ {
		free, err := h.Subscriptions.ClaimSlot(ctx, subID, limit, now, now.Add(h.timeout()+30*time.Second))
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

// settle applies the outcome rules to an attempt.
func (h *Deliver) settle(ctx context.Context, d *store.Delivery, sub store.Subscription, a store.Attempt, retryAfter time.Duration, now time.Time) (time.Duration, error) {
	switch {
	case a.StatusCode >= 200 && a.StatusCode < 300:
		d.Status, d.NextAttemptAt = store.DeliveryDelivered, time.Time{}
		return 0, h.Subscriptions.RecordSuccess(ctx, sub.ID, sub.FailingSinceMS != 0 || sub.ConsecutiveFailures != 0)
	}
	updated, err := h.Subscriptions.RecordFailure(ctx, sub.ID, now)
	if err != nil {
		return 0, err
	}
	if a.StatusCode == http.StatusGone {
		d.Status, d.NextAttemptAt = store.DeliveryFailed, time.Time{}
		return 0, h.disable(ctx, sub, "the endpoint answered 410 Gone", now)
	}
	if since := time.UnixMilli(updated.FailingSinceMS); now.Sub(since) >= DisableAfter {
		d.Status, d.NextAttemptAt = store.DeliveryFailed, time.Time{}
		return 0, h.disable(ctx, updated, "the endpoint has failed for 5 days", now)
	}
	if updated.ConsecutiveFailures == BreakerThreshold {
		if _, err := h.Subscriptions.ClaimProbe(ctx, sub.ID, now, now.Add(h.scaled(ProbeInterval))); err != nil {
			return 0, err
		}
	}
	wait, ok := h.schedule(sub).Wait(len(d.Attempts) + 1)
	if !ok {
		d.Status, d.NextAttemptAt = store.DeliveryExhausted, time.Time{}
		return 0, nil
	}
	wait = max(wait, min(retryAfter, retry.MaxWait))
	d.Status, d.NextAttemptAt = store.DeliveryRetrying, now.Add(wait)
	return max(wait, time.Millisecond), nil
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

// post makes one signed POST and reports it, with any Retry-After of a 429 or 503.
func (h *Deliver) post(ctx context.Context, sub store.Subscription, msgID string, body []byte, keys []string, now time.Time, number int) (store.Attempt, time.Duration) {
	a := store.Attempt{Number: number, At: now}
	var sigs []string
	for _, secret := range keys {
		key, err := stdwebhooks.DecodeSecret(secret)
		if err != nil {
			continue
		}
		sigs = append(sigs, stdwebhooks.Sign(key, msgID, now, body))
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout())
	defer cancel()
	if err := ssrf.CheckURL(sub.EndpointURL, h.AllowLoopback); err != nil {
		a.Error = err.Error()
		return a, 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.EndpointURL, bytes.NewReader(body))
	if err != nil {
		a.Error = "invalid endpoint URL"
		return a, 0
	}
	for k, v := range sub.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set(stdwebhooks.HeaderID, msgID)
	req.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(stdwebhooks.HeaderSignature, strings.Join(sigs, " "))
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", UserAgent)
	start := time.Now()
	resp, err := h.Client.Do(req)
	a.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		a.Error = attemptError(err)
		return a, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	a.StatusCode, a.Response = resp.StatusCode, string(b)
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("retry-after"), now)
	}
	return a, retryAfter
}

func attemptError(err error) string {
	var netErr interface{ Timeout() bool }
	switch {
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case strings.Contains(err.Error(), "endpoint not allowed"):
		return "endpoint not allowed: it resolves to a private or reserved address"
	default:
		return "connection failed"
	}
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
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
		return fmt.Errorf("emit subscription.disabled: %w", err)
	}
	h.Logger.WarnContext(ctx, "subscription disabled", "subscription_id", sub.ID, "tenant_id", sub.TenantID, "reason", reason)
	return h.EventsQueue.Enqueue(ctx, id)
}
