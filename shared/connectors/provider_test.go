package connectors_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/wedsync/webhooks/shared/connectors"
)

// TestResolveAcceptsOnlyDocumentedHosts: outside the local stack and the tests a base URL
// must be https on the provider's documented host; loopback is allowed only there.
func TestResolveAcceptsOnlyDocumentedHosts(t *testing.T) {
	for _, tc := range []struct {
		url      string
		loopback bool
		ok       bool
	}{
		{"", false, true},
		{"https://api.stripe.com", false, true},
		{"https://api.stripe.com/", false, true},
		{"http://api.stripe.com", false, false},
		{"https://api.stripe.com:8443", false, false},
		{"https://api.stripe.com.evil.example", false, false},
		{"https://user:pw@api.stripe.com", false, false},
		{"https://evil.example", false, false},
		{"http://127.0.0.1:12111", false, false},
		{"http://127.0.0.1:12111", true, true},
		{"http://[::1]:12111", true, true},
		{"http://10.0.0.1:12111", true, false},
		{"not a url", true, false},
	} {
		p, err := connectors.Resolve(connectors.Stripe, connectors.Endpoints{BaseURL: tc.url}, tc.loopback)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, connectors.ErrBaseURL)) {
			t.Errorf("%q loopback=%v: %v, want ok=%v", tc.url, tc.loopback, err, tc.ok)
		}
		if err == nil && len(p.Hosts) != 1 {
			t.Errorf("%q: hosts %v", tc.url, p.Hosts)
		}
	}
	for _, tc := range []struct {
		url      string
		loopback bool
		ok       bool
	}{
		{"https://hooks.zapier.com/hooks/catch/123/abc/", false, true},
		{"https://hooks.zapier.com/hooks/other/123/", false, false},
		{"https://hooks.zapier.com/hooks/catch/", false, false},
		{"https://zapier.com/hooks/catch/1/", false, false},
		{"http://127.0.0.1:9999/hooks/catch/1/", false, false},
		{"http://127.0.0.1:9999/hooks/catch/1/", true, true},
	} {
		if err := connectors.CheckZapierHook(tc.url, tc.loopback); (err == nil) != tc.ok {
			t.Errorf("zapier %q loopback=%v: %v, want ok=%v", tc.url, tc.loopback, err, tc.ok)
		}
	}
}

// TestNoOtherHostIsCalled: the client refuses a URL on any other host before sending, and
// never follows a redirect to one.
func TestNoOtherHostIsCalled(t *testing.T) {
	var strayed atomic.Int32
	stray := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { strayed.Add(1) }))
	defer stray.Close()
	srv, p := loopback(t, testProvider, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, stray.URL+"/elsewhere", http.StatusFound)
	}))
	c := connectors.New(connectors.Options{Provider: p, Clock: newFakeClock(), Retry: noJitter})
	req, _ := http.NewRequest(http.MethodGet, stray.URL+"/v1/things", nil)
	if _, err := c.Do(req); !errors.Is(err, connectors.ErrHostNotAllowed) {
		t.Fatalf("call to another host: %v, want ErrHostNotAllowed", err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v1/things", nil)
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v, want the 302 itself", resp, err)
	}
	if strayed.Load() != 0 {
		t.Fatal("the other host was called")
	}
}
