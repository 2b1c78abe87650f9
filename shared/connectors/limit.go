package connectors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// Limiter books a slot of a connection's rate limit before each try and hears what the
// provider says of its own quota after it.
type Limiter interface {
	Wait(ctx context.Context) error
	Observe(ctx context.Context, resp *http.Response)
}

// BucketStore keeps token buckets shared by every container (store.Buckets).
type BucketStore interface {
	Reserve(ctx context.Context, key string, shape store.Bucket, maxWait time.Duration, now time.Time) (time.Duration, error)
	Hold(ctx context.Context, key string, shape store.Bucket, until time.Time) error
}

var _ BucketStore = (*store.Buckets)(nil)

// DefaultMaxWait is the longest a call waits for its rate-limit slot.
const DefaultMaxWait = 20 * time.Second

// SharedBucket is a connection's token bucket in DynamoDB: one conditional write per try,
// the same bucket for every container. A provider's 429 with Retry-After, or its
// x-ratelimit-remaining of 0 with x-ratelimit-reset, empties the bucket until then for all.
type SharedBucket struct {
	Buckets BucketStore
	// Key names the bucket: one per connection.
	Key     string
	Shape   store.Bucket
	MaxWait time.Duration
	Clock   Clock
}

var _ Limiter = (*SharedBucket)(nil)

// Wait books the next slot and waits for it; ErrRateLimited when none is free within MaxWait.
func (b *SharedBucket) Wait(ctx context.Context) error {
	maxWait := b.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	wait, err := b.Buckets.Reserve(ctx, b.Key, b.Shape, maxWait, b.Clock.Now())
	if errors.Is(err, store.ErrBucketFull) {
		return fmt.Errorf("%w: %w", ErrRateLimited, err)
	}
	if err != nil {
		return err
	}
	return b.Clock.Sleep(ctx, wait)
}

// Observe holds the bucket until the provider's quota comes back, when it says it ran out.
func (b *SharedBucket) Observe(ctx context.Context, resp *http.Response) {
	if until, ok := quotaReset(resp, b.Clock.Now()); ok {
		_ = b.Buckets.Hold(ctx, b.Key, b.Shape, until)
	}
}

// quotaReset is when a provider that says its quota ran out will take calls again: a 429's
// Retry-After, or x-ratelimit-reset (seconds from now, or a Unix time in seconds or
// milliseconds) when x-ratelimit-remaining is 0.
func quotaReset(resp *http.Response, now time.Time) (time.Time, bool) {
	if resp.StatusCode == http.StatusTooManyRequests {
		if after, ok := retryAfter(resp.Header, now); ok {
			return now.Add(after), true
		}
	}
	remaining := strings.TrimSpace(resp.Header.Get("x-ratelimit-remaining"))
	if remaining != "0" {
		return time.Time{}, false
	}
	reset, err := strconv.ParseFloat(strings.TrimSpace(resp.Header.Get("x-ratelimit-reset")), 64)
	if err != nil || reset < 0 || math.IsInf(reset, 0) {
		return time.Time{}, false
	}
	switch {
	case reset > 1e12:
		return time.UnixMilli(int64(reset)), true
	case reset > 1e9:
		return time.Unix(int64(reset), 0), true
	}
	return now.Add(time.Duration(reset * float64(time.Second))), true
}

// limit takes a slot before each try and reports each answer to the limiter.
type limit struct {
	limiter Limiter
	next    http.RoundTripper
}

func (l limit) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := l.limiter.Wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := l.next.RoundTrip(req)
	if err == nil {
		l.limiter.Observe(req.Context(), resp)
	}
	return resp, err
}
