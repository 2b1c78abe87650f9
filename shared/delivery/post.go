package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
	"github.com/wedsync/webhooks/shared/store"
)

// signingKeys decodes a secret set's usable secrets; a delivery with none is never sent.
func signingKeys(secrets []string) [][]byte {
	var keys [][]byte
	for _, secret := range secrets {
		if key, err := stdwebhooks.DecodeSecret(secret); err == nil {
			keys = append(keys, key)
		}
	}
	return keys
}

// ErrCutShort means an attempt ended because the invocation's own deadline or cancellation
// came first, not because the endpoint was slow or unreachable: it says nothing of the
// endpoint's health.
var ErrCutShort = errors.New("attempt cut short by the delivery function's own deadline")

// post makes one signed POST and reports it, with any Retry-After of a 429 or 503; its error
// is ErrCutShort when the invocation, not the endpoint, ended the attempt.
func (h *Deliver) post(ctx context.Context, sub store.Subscription, msgID string, body []byte, keys [][]byte, now time.Time, number int) (store.Attempt, time.Duration, error) {
	a := store.Attempt{Number: number, At: now}
	sigs := make([]string, 0, len(keys))
	for _, key := range keys {
		sigs = append(sigs, stdwebhooks.Sign(key, msgID, now, body))
	}
	invocation := ctx
	ctx, cancel := context.WithTimeout(ctx, h.timeout())
	defer cancel()
	if err := ssrf.CheckURL(sub.EndpointURL, h.AllowLoopback); err != nil {
		a.Error = err.Error()
		return a, 0, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.EndpointURL, bytes.NewReader(body))
	if err != nil {
		a.Error = "invalid endpoint URL"
		return a, 0, nil
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
	if err != nil && invocation.Err() != nil {
		a.Error = "cut short: the delivery function's own deadline came first"
		return a, 0, ErrCutShort
	}
	if err != nil {
		a.Error = attemptError(err)
		return a, 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	a.StatusCode, a.Response = resp.StatusCode, string(b)
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("retry-after"), now)
	}
	return a, retryAfter, nil
}

func attemptError(err error) string {
	var netErr interface{ Timeout() bool }
	switch {
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ssrf.ErrForbidden):
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
