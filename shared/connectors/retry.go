package connectors

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry is how a client retries: Attempts tries in all, waits of Backoff × 2^(n-1) (at most
// MaxBackoff) drawn between half and all of it, and a Retry-After obeyed up to MaxRetryAfter.
type Retry struct {
	Attempts      int
	Backoff       time.Duration
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration
	// Rand draws the jitter in [0, 1); nil means no jitter.
	Rand func() float64
}

// DefaultRetry is three retries after the first try, as the original connectors did.
var DefaultRetry = Retry{Attempts: 4, Backoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, MaxRetryAfter: 30 * time.Second}

// wait is the jittered backoff before retry n (1-based).
func (r Retry) wait(n int) time.Duration {
	d := r.Backoff << (n - 1)
	if d <= 0 || d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	if r.Rand == nil {
		return d
	}
	return d/2 + time.Duration(r.Rand()*float64(d/2))
}

// retrier tries a request again after network errors, 429 and 5xx. A write (POST, PATCH)
// is retried after an ambiguous failure only when it carries the provider's idempotency
// key, which it keeps on every try (one is made when the provider has a header for it).
type retrier struct {
	provider Provider
	policy   Retry
	clock    Clock
	next     http.RoundTripper
}

func isWrite(method string) bool { return method == http.MethodPost || method == http.MethodPatch }

func (r retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := !isWrite(req.Method)
	if h := r.provider.IdempotencyHeader; h != "" && !replayable {
		if req.Header.Get(h) == "" {
			req = req.Clone(ctx)
			req.Header.Set(h, newIdempotencyKey())
		}
		replayable = true
	}
	body, err := bodyOf(req)
	if err != nil {
		return nil, err
	}
	for n := 1; ; n++ {
		try := req.Clone(ctx)
		if body != nil {
			try.Body, try.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		resp, err := r.next.RoundTrip(try)
		last := n >= max(r.policy.Attempts, 1)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil && errors.Is(err, ErrRateLimited), err != nil && errors.Is(err, ErrHostNotAllowed):
			return nil, err
		case err != nil && !replayable && !notSent(err):
			return nil, fmt.Errorf("%s %s: %w: %w", r.provider.Kind, req.Method, ErrOutcomeUnknown, err)
		case err != nil && last:
			return nil, fmt.Errorf("%s %s after %d attempts: %w", r.provider.Kind, req.Method, n, err)
		case err != nil:
			wait = r.policy.wait(n)
		case last:
			return resp, nil
		default:
			var retry bool
			if retry, wait = r.judge(resp, replayable, n); !retry {
				return resp, nil
			}
			resp.Body.Close()
		}
		if err := r.clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// judge decides whether an answer is tried again and after how long.
func (r retrier) judge(resp *http.Response, replayable bool, n int) (bool, time.Duration) {
	status := resp.StatusCode
	if status < 400 {
		return false, 0
	}
	verdict := VerdictByStatus
	if r.provider.Classify != nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		verdict = r.provider.Classify(status, b)
	}
	switch {
	case verdict == VerdictFinal:
		return false, 0
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		if after, ok := retryAfter(resp.Header, r.clock.Now()); ok {
			return after <= r.policy.MaxRetryAfter, after
		}
		return true, r.policy.wait(n)
	case verdict == VerdictRetry || (status >= 500 && replayable):
		return true, r.policy.wait(n)
	}
	return false, 0
}

// retryAfter reads Retry-After as seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("retry-after"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, at.Sub(now)), true
	}
	return 0, false
}

// bodyOf reads a request's body once, so every try sends the same bytes.
func bodyOf(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	return io.ReadAll(req.Body)
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
