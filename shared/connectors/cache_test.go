package connectors_test

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
)

// TestGETCacheTTL (acceptance 4): a second identical GET within the TTL makes no request;
// after the TTL it does. Other URLs and writes are never served from the cache.
func TestGETCacheTTL(t *testing.T) {
	var calls atomic.Int32
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Write([]byte(r.Method + " " + r.URL.RequestURI() + " #" + string(rune('0'+n))))
	}))
	clock := newFakeClock()
	c := connectors.New(connectors.Options{Provider: p, Clock: clock, CacheTTL: time.Minute, Retry: noJitter})
	get := func(method, path string) string {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	first := get(http.MethodGet, "/v1/customers/cus_1")
	clock.Advance(59 * time.Second)
	if again := get(http.MethodGet, "/v1/customers/cus_1"); again != first || calls.Load() != 1 {
		t.Fatalf("within the TTL: %q after %d calls, want %q from the cache", again, calls.Load(), first)
	}
	if other := get(http.MethodGet, "/v1/customers/cus_2"); calls.Load() != 2 || other == first {
		t.Fatalf("another URL was served from the cache")
	}
	get(http.MethodPost, "/v1/customers/cus_1")
	get(http.MethodPost, "/v1/customers/cus_1")
	if calls.Load() != 4 {
		t.Fatalf("writes were cached: %d calls", calls.Load())
	}
	clock.Advance(time.Second)
	if after := get(http.MethodGet, "/v1/customers/cus_1"); calls.Load() != 5 || after == first {
		t.Fatalf("after the TTL: %q after %d calls, want a fresh request", after, calls.Load())
	}
}
