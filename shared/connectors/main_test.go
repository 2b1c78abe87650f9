package connectors_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// fakeClock moves only when slept on: each Sleep advances it at once and is recorded.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// offsetClock is the real clock moved to t0, so that tests do not depend on today's date
// but waits still take real time.
type offsetClock struct{ start time.Time }

func newOffsetClock() offsetClock { return offsetClock{start: time.Now()} }

func (c offsetClock) Now() time.Time { return t0.Add(time.Since(c.start)) }

func (c offsetClock) Sleep(ctx context.Context, d time.Duration) error {
	return connectors.SystemClock{}.Sleep(ctx, d)
}

// loopback starts a loopback server and returns it with a provider that may call only it.
func loopback(t *testing.T, base connectors.Provider, h http.Handler) (*httptest.Server, connectors.Provider) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p, err := connectors.Resolve(base, connectors.Endpoints{BaseURL: srv.URL}, true)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p
}

// testProvider is a provider with no documented host of its own.
var testProvider = connectors.Provider{Kind: "acme", BaseURL: "https://api.acme.example", Hosts: []string{"api.acme.example"},
	Timeout: time.Second}

// noJitter retries 4 times in all with 500 ms doubling backoff and no jitter.
var noJitter = connectors.Retry{Attempts: 4, Backoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second, MaxRetryAfter: 30 * time.Second}
