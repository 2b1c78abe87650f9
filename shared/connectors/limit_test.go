package connectors_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestSharedRateLimitAcrossContainers (acceptance 2): two connector instances — two
// containers, each with its own memory — share one bucket of 10/s, burst 10, in DynamoDB.
// Of 100 calls none fails, the server never sees more than 20 in a sliding second, and by
// any moment it has seen at most 10 per second since the start plus the burst.
func TestSharedRateLimitAcrossContainers(t *testing.T) {
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	table := testenv.Tables(t, db)["rate_limits"]
	var mu sync.Mutex
	var arrivals []time.Time
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	shape := store.Bucket{Interval: 100 * time.Millisecond, Burst: 10}
	container := func() *http.Client {
		return connectors.New(connectors.Options{Provider: p, Retry: noJitter, Limiter: &connectors.SharedBucket{
			Buckets: &store.Buckets{DB: db, Table: table}, Key: "connector#conn_1", Shape: shape, Clock: connectors.SystemClock{},
		}})
	}
	clients := []*http.Client{container(), container()}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 10 {
		c := clients[i%2]
		wg.Go(func() {
			for range 10 {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/v1/things", nil)
				if _, _, err := connectors.Do(c, "acme", req); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call failed: %v", err)
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	if len(arrivals) != 100 {
		t.Fatalf("the server saw %d calls, want 100", len(arrivals))
	}
	for i, at := range arrivals {
		inSecond := 0
		for _, later := range arrivals[i:] {
			if later.Sub(at) < time.Second {
				inSecond++
			}
		}
		if inSecond > 20 {
			t.Fatalf("%d calls in the second from call %d", inSecond, i)
		}
		if allowed := 10*at.Sub(start).Seconds() + 10; float64(i+1) > allowed {
			t.Fatalf("call %d came %s after the start: over 10/s plus the burst (%.1f)", i+1, at.Sub(start), allowed)
		}
	}
	t.Logf("100 calls in %s", arrivals[99].Sub(start))
}

// TestQuotaHeadersHoldTheBucket: a provider's x-ratelimit-remaining of 0 with
// x-ratelimit-reset holds every container's next call until the reset.
func TestQuotaHeadersHoldTheBucket(t *testing.T) {
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	table := testenv.Tables(t, db)["rate_limits"]
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ratelimit-limit", "50")
		w.Header().Set("x-ratelimit-remaining", "0")
		w.Header().Set("x-ratelimit-reset", "30")
		w.Write([]byte(`{}`))
	}))
	clock := newFakeClock()
	shape := store.Bucket{Interval: time.Second, Burst: 5}
	container := func() *http.Client {
		return connectors.New(connectors.Options{Provider: p, Clock: clock, Retry: noJitter, Limiter: &connectors.SharedBucket{
			Buckets: &store.Buckets{DB: db, Table: table}, Key: "connector#conn_2", Shape: shape, Clock: clock, MaxWait: time.Minute,
		}})
	}
	a, b := container(), container()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/things", nil)
	if _, _, err := connectors.Do(a, "acme", req); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v1/things", nil)
	if _, _, err := connectors.Do(b, "acme", req); err != nil {
		t.Fatal(err)
	}
	if got := clock.Sleeps(); len(got) != 2 || got[0] != 0 || got[1] != 30*time.Second {
		t.Fatalf("sleeps %v, want the second container to wait out the 30 s reset", got)
	}
}
