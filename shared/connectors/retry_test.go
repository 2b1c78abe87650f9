package connectors_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
)

// TestRetryAfterIsHonoured (acceptance 3): a 429 with Retry-After: 2 is waited out, on the
// injected clock, before the one retry that succeeds.
func TestRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int32
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("retry-after", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	clock := newFakeClock()
	c := connectors.New(connectors.Options{Provider: p, Clock: clock, Retry: noJitter})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/things", nil)
	var out struct{ OK bool }
	if err := connectors.DoJSON(c, "acme", req, &out); err != nil || !out.OK {
		t.Fatalf("got %+v, %v", out, err)
	}
	if calls.Load() != 2 || !slices.Equal(clock.Sleeps(), []time.Duration{2 * time.Second}) {
		t.Fatalf("calls %d, sleeps %v; want 2 calls and one sleep of 2s", calls.Load(), clock.Sleeps())
	}
}

// TestServerErrorsAreRetriedThenCarryTheMessage (acceptance 3): a 500 is tried again with
// doubling backoff up to the limit; the error then carries the provider's message.
func TestServerErrorsAreRetriedThenCarryTheMessage(t *testing.T) {
	var calls atomic.Int32
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"message":"the ledger is being rebuilt","code":"ledger_busy"}}`))
	}))
	clock := newFakeClock()
	c := connectors.New(connectors.Options{Provider: p, Clock: clock, Retry: noJitter})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/things", nil)
	_, _, err := connectors.Do(c, "acme", req)
	var pe *connectors.ProviderError
	if !errors.As(err, &pe) || pe.Status != 500 || pe.Message != "the ledger is being rebuilt" || pe.Code != "ledger_busy" {
		t.Fatalf("error %v, want the provider's 500 and message", err)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
	if calls.Load() != 4 || !slices.Equal(clock.Sleeps(), want) {
		t.Fatalf("calls %d, sleeps %v; want 4 calls and sleeps %v", calls.Load(), clock.Sleeps(), want)
	}
}

// TestJitterStaysWithinTheBackoff: each wait is drawn between half and all of its backoff.
func TestJitterStaysWithinTheBackoff(t *testing.T) {
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	clock := newFakeClock()
	policy := noJitter
	draws := []float64{0, 0.5, 0.999}
	policy.Rand = func() float64 { d := draws[0]; draws = draws[1:]; return d }
	c := connectors.New(connectors.Options{Provider: p, Clock: clock, Retry: policy})
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if _, _, err := connectors.Do(c, "acme", req); err == nil {
		t.Fatal("502s succeeded")
	}
	got := clock.Sleeps()
	want := []time.Duration{250 * time.Millisecond, 750 * time.Millisecond, 1999 * time.Millisecond}
	for i := range want {
		if got[i] < want[i]-time.Millisecond || got[i] > want[i]+time.Millisecond {
			t.Fatalf("sleeps %v, want about %v", got, want)
		}
	}
}

// TestWriteKeepsItsIdempotencyKey (acceptance 3): a write to a provider with an idempotency
// header gets one key, the same on every try, and the same body.
func TestWriteKeepsItsIdempotencyKey(t *testing.T) {
	for _, given := range []string{"", "cmd_evt_1"} {
		t.Run("given="+given, func(t *testing.T) {
			var mu sync.Mutex
			var keys, bodies []string
			srv, p := loopback(t, connectors.Stripe, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				keys = append(keys, r.Header.Get("idempotency-key"))
				r.ParseForm()
				bodies = append(bodies, r.PostForm.Encode())
				if len(keys) < 3 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.Write([]byte(`{}`))
			}))
			c := connectors.New(connectors.Options{Provider: p, Clock: newFakeClock(), Retry: noJitter})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/refunds", strings.NewReader("amount=100&payment_intent=pi_1"))
			req.Header.Set("content-type", "application/x-www-form-urlencoded")
			if given != "" {
				req.Header.Set("idempotency-key", given)
			}
			if _, _, err := connectors.Do(c, "stripe", req); err != nil {
				t.Fatal(err)
			}
			if len(keys) != 3 || keys[0] == "" || keys[1] != keys[0] || keys[2] != keys[0] || (given != "" && keys[0] != given) {
				t.Fatalf("keys %q, want one key on three tries", keys)
			}
			if bodies[0] != "amount=100&payment_intent=pi_1" || bodies[1] != bodies[0] || bodies[2] != bodies[0] {
				t.Fatalf("bodies %q", bodies)
			}
		})
	}
}

// TestWriteWithoutKeyIsAtMostOnce: a write the provider cannot dedupe is not tried again
// after a timeout or a 500 (the provider may have acted); the timeout is ErrOutcomeUnknown.
func TestWriteWithoutKeyIsAtMostOnce(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path == "/slow" {
			<-release
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer close(release)
	p.Timeout = 50 * time.Millisecond
	c := connectors.New(connectors.Options{Provider: p, Clock: newFakeClock(), Retry: noJitter})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slow", strings.NewReader(`{}`))
	if _, _, err := connectors.Do(c, "acme", req); !errors.Is(err, connectors.ErrOutcomeUnknown) {
		t.Fatalf("timed-out write: %v, want ErrOutcomeUnknown", err)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/fails", strings.NewReader(`{}`))
	var pe *connectors.ProviderError
	if _, _, err := connectors.Do(c, "acme", req); !errors.As(err, &pe) || pe.Status != 500 {
		t.Fatalf("500 to a write: %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want one per write", calls.Load())
	}
}

// TestMandrillErrorsByName: Mandrill answers every error with 500; Invalid_Key is never
// retried, a GeneralError is.
func TestMandrillErrorsByName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		calls int32
	}{{"Invalid_Key", 1}, {"ValidationError", 1}, {"GeneralError", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv, p := loopback(t, connectors.Mandrill, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"status":"error","code":-1,"name":"` + tc.name + `","message":"it went wrong"}`))
			}))
			c := connectors.New(connectors.Options{Provider: p, Clock: newFakeClock(), Retry: noJitter})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/messages/send", strings.NewReader(`{"key":"k"}`))
			_, _, err := connectors.Do(c, "mandrill", req)
			var pe *connectors.ProviderError
			if !errors.As(err, &pe) || pe.Code != tc.name || pe.Message != "it went wrong" || calls.Load() != tc.calls {
				t.Fatalf("err %v after %d calls, want %s after %d", err, calls.Load(), tc.name, tc.calls)
			}
		})
	}
}
