package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// Outcome rules and limits.
const (
	// BreakerThreshold consecutive failures open an endpoint's breaker.
	BreakerThreshold = 5
	// ProbeInterval is how often an open breaker lets one delivery through (scaled).
	ProbeInterval = 60 * time.Second
	// DisableAfter of continuous failure disables a subscription (scaled like the schedule).
	DisableAfter = 5 * 24 * time.Hour
	// DefaultTimeout bounds one attempt.
	DefaultTimeout = 15 * time.Second
	// MaxResponseBytes of a response body are kept in the attempt log.
	MaxResponseBytes = 4 << 10
	// DefaultEndpointConcurrency is how many attempts may be under way to one endpoint that
	// is not known to be fast.
	DefaultEndpointConcurrency = 10
	// FastWithin is how soon an endpoint must answer 2xx to be known as fast (at most a
	// quarter of the attempt's timeout): attempts to a fast endpoint claim no slot.
	FastWithin = time.Second
	// UserAgent identifies our deliveries.
	UserAgent = "WedSync-Webhooks/1.0"
	// SlotHoldWait is the first wait of a delivery held because every slot of its endpoint is
	// taken; each hold in a row doubles it, up to MaxSlotHoldWait.
	SlotHoldWait    = time.Second
	MaxSlotHoldWait = 5 * time.Minute
	// FaultWait is the first wait after an error before the attempt (an AWS call that failed
	// past the SDK's retries); each such error in a row doubles it, up to MaxFaultWait. After
	// MaxFaults in a row the delivery fails with the last error as its reason.
	FaultWait    = 10 * time.Second
	MaxFaultWait = time.Hour
	MaxFaults    = 12
	// DefaultSecretCacheTTL is how long an opened secret set is kept in the container.
	DefaultSecretCacheTTL = secrets.DefaultCacheTTL
	// concurrency bounds the attempts one batch makes at once.
	concurrency = 10
	// leaseMargin is how much longer than an attempt a lease lasts: the calls before the
	// attempt and recording its outcome fit in it.
	leaseMargin = 30 * time.Second
	// recordBudget bounds the tries to record an outcome, within the lease's margin;
	// recordWait is the first wait between them, doubling up to maxRecordWait.
	recordBudget  = 20 * time.Second
	recordWait    = 100 * time.Millisecond
	maxRecordWait = 2 * time.Second
)

// DeliveryStore leases delivery records, creating the new ones, and records their outcomes.
type DeliveryStore interface {
	Lease(ctx context.Context, id, owner string, now, until time.Time) (store.Delivery, error)
	CreateOrLease(ctx context.Context, d store.Delivery, owner string, now, until time.Time) (store.Delivery, error)
	Release(ctx context.Context, leased store.Delivery, owner string, o store.Outcome) (store.Delivery, error)
}

// SubscriptionHealth reads subscriptions and keeps their endpoint health.
type SubscriptionHealth interface {
	Get(ctx context.Context, id string) (store.Subscription, error)
	RecordSuccess(ctx context.Context, id string, fastSince time.Time) error
	ClearFast(ctx context.Context, id string) error
	RecordFailure(ctx context.Context, id string, now, probeAt time.Time) error
	ClaimProbe(ctx context.Context, id string, now, next time.Time) (bool, time.Time, error)
	Disable(ctx context.Context, id, reason string, now time.Time) (bool, error)
}

// EventStore reads events and stores the ones deliveries emit (entering one it could not
// queue into the sweep index).
type EventStore interface {
	GetEventually(ctx context.Context, id string) (store.Event, error)
	PutNew(ctx context.Context, ev store.Event) (store.Event, bool, error)
	EnterSweep(ctx context.Context, id string, at time.Time) error
}

// DelayedEnqueuer queues a delivery key, visible after a delay of at most 900 s.
type DelayedEnqueuer interface {
	Enqueue(ctx context.Context, deliveryID string, delay time.Duration) error
}

// EventEnqueuer queues an event key.
type EventEnqueuer interface {
	Enqueue(ctx context.Context, eventID string) error
}

// RateLimiter spreads a subscription's attempts over time and counts the ones under way,
// for every container at once.
type RateLimiter interface {
	Reserve(ctx context.Context, key string, perSecond int, now time.Time) (time.Time, error)
	ClaimSlot(ctx context.Context, key string, limit int, now, lapse time.Time) (bool, error)
	FreeSlot(ctx context.Context, key string) error
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
	// SecretCacheTTL is how long an opened secret set is kept; 0 means
	// DefaultSecretCacheTTL and a negative value no caching. The cache is keyed by the sealed
	// value, so a rotation is seen by the very next delivery whatever the TTL.
	SecretCacheTTL time.Duration
	Logger         *slog.Logger
	// Metrics receives deliveries succeeded, failed and exhausted, and delivery latency.
	Metrics *metrics.Recorder

	randMu sync.Mutex
	// Rand draws the jitter of retries and holds; nil means none.
	Rand   *rand.Rand
	opened secrets.Cache
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

// deliverMessage leases the message's delivery (creating it, for fan-out's message of a new
// delivery), runs it and records the outcome before anything else; endpoint health follows,
// best-effort. Every run that leased the record releases it final or with its next attempt
// pushed back, so no record stays due.
func (h *Deliver) deliverMessage(ctx context.Context, msg events.SQSMessage) error {
	m, err := queue.ParseDelivery(msg.Body)
	if err != nil {
		return err
	}
	id := m.DeliveryID
	now := h.Now().UTC()
	owner := msg.MessageId + "/" + strconv.FormatUint(rand.Uint64(), 36)
	var d store.Delivery
	if nd := m.New; nd != nil {
		if want := DeliveryID(nd.EventID, nd.SubscriptionID, nd.Replay); want != id {
			return fmt.Errorf("%w: delivery %s is not the delivery of its event and subscription (%s)", queue.ErrMalformedMessage, id, want)
		}
		d, err = h.Deliveries.CreateOrLease(ctx, store.Delivery{ID: id, TenantID: nd.TenantID, SubscriptionID: nd.SubscriptionID,
			EventID: nd.EventID, EventType: nd.EventType, MessageID: nd.MessageID, Replay: nd.Replay,
			CreatedAt: nd.CreatedAt.UTC(), ExpiresAt: nd.ExpiresAt}, owner, now, now.Add(h.lease()))
	} else {
		d, err = h.Deliveries.Lease(ctx, id, owner, now, now.Add(h.lease()))
	}
	var held *store.HeldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.Logger.WarnContext(ctx, "delivery message for no delivery", "delivery_id", id)
		return nil
	case errors.As(err, &held) && strings.HasPrefix(held.Owner, msg.MessageId+"/"):
		// An earlier receive of this very message holds the lease: its run was cut off (its
		// runtime killed) or outlives the queue's visibility. No other message may carry the
		// delivery (a first attempt is in no index), so a copy waits out the lease.
		h.Logger.WarnContext(ctx, "delivery leased by an earlier receive of its message; queued again for when the lease lapses",
			"delivery_id", id, "lease_until", held.Until.Format(time.RFC3339Nano))
		return h.Queue.Enqueue(ctx, id, held.Until.Sub(now)+time.Second)
	case errors.Is(err, store.ErrLeased), errors.Is(err, store.ErrNotDue):
		// Another copy holds it, it is final, or whoever pushed it back queued it again (or
		// left it to the scheduler): this copy has nothing to do.
		h.Logger.InfoContext(ctx, "delivery not leased", "delivery_id", id, "why", err.Error())
		return nil
	case err != nil:
		return err
	}
	r := h.run(ctx, d, now)
	released, err := h.record(ctx, d, owner, r.outcome)
	h.keepHealth(ctx, r)
	if err != nil {
		return err
	}
	if r.outcome.Attempt != nil {
		h.measure(released)
	}
	if !released.Live() {
		return nil
	}
	return h.later(ctx, released.ID, max(released.NextAttemptAt.Sub(h.Now()), 0))
}

// record releases the delivery with its outcome, trying again on any error but a lost lease
// or a refused write until recordBudget is spent, on a context that neither the attempt's
// timeout nor the invocation's cancellation cuts: an outcome not recorded means a second POST.
func (h *Deliver) record(ctx context.Context, d store.Delivery, owner string, o store.Outcome) (store.Delivery, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordBudget)
	defer cancel()
	wait := recordWait
	for {
		released, err := h.Deliveries.Release(ctx, d, owner, o)
		if err == nil || !retryable(err) {
			return released, err
		}
		h.Logger.WarnContext(ctx, "recording a delivery's outcome failed; trying again", "delivery_id", d.ID, "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return store.Delivery{}, fmt.Errorf("record the outcome of %s: %w", d.ID, err)
		case <-t.C:
		}
		wait = min(2*wait, maxRecordWait)
	}
}

// retryable tells whether writing the outcome again may succeed.
func retryable(err error) bool {
	var api smithy.APIError
	switch {
	case errors.Is(err, store.ErrLeased), errors.Is(err, store.ErrNotFound):
		return false
	case errors.As(err, &api) && api.ErrorCode() == "ValidationException":
		return false
	}
	return true
}

// measure emits the metrics of an attempt just recorded.
func (h *Deliver) measure(d store.Delivery) {
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

// lease is how long a run holds its delivery and its endpoint slot.
func (h *Deliver) lease() time.Duration { return h.timeout() + leaseMargin }

// fastWithin is how soon a 2xx must come for its endpoint to be known as fast.
func (h *Deliver) fastWithin() time.Duration { return min(FastWithin, h.timeout()/4) }

func (h *Deliver) secretTTL() time.Duration {
	if h.SecretCacheTTL > 0 {
		return h.SecretCacheTTL
	}
	return DefaultSecretCacheTTL
}

func (h *Deliver) scaled(d time.Duration) time.Duration {
	if h.Scale > 0 {
		return time.Duration(float64(d) * h.Scale)
	}
	return d
}

// render is the delivered body: the stored event rendered at the subscription's pinned
// event version (a subscription without one gets the first version, the only one there
// was before subscriptions pinned theirs).
func render(stored []byte, version string) ([]byte, error) {
	if version == "" {
		version = envelope.VersionNames()[0]
	}
	return envelope.Render(stored, version)
}
