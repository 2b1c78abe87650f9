package api_test

import (
	"strings"
	"testing"
)

// TestSubscriptionVersionPin: a subscription pins the latest event version unless it asks
// for another one of the chain, moves with a PATCH, and an unknown version is a 422 that
// lists the supported ones.
func TestSubscriptionVersionPin(t *testing.T) {
	e := newEnv(t)
	var sub struct {
		ID           string `json:"id"`
		EventVersion string `json:"event_version"`
	}
	body := func(extra ...string) map[string]any {
		b := map[string]any{"endpoint_url": "https://hooks.example.org/x", "event_types": []string{"payment.*"}}
		for i := 0; i+1 < len(extra); i += 2 {
			b[extra[i]] = extra[i+1]
		}
		return b
	}
	e.must(201, "POST", "/v1/subscriptions", keyA, body(), &sub)
	if sub.EventVersion != "2027-01-15" {
		t.Fatalf("default pin %q, want the latest, 2027-01-15", sub.EventVersion)
	}
	e.must(201, "POST", "/v1/subscriptions", keyA, body("event_version", "2026-11-01"), &sub)
	if sub.EventVersion != "2026-11-01" {
		t.Fatalf("pin %q, want 2026-11-01", sub.EventVersion)
	}
	e.must(200, "PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"event_version": "2027-01-15"}, &sub)
	e.must(200, "GET", "/v1/subscriptions/"+sub.ID, keyA, nil, &sub)
	if sub.EventVersion != "2027-01-15" {
		t.Fatalf("after the move, pin %q, want 2027-01-15", sub.EventVersion)
	}
	for _, bad := range []answer{
		e.call("POST", "/v1/subscriptions", keyA, body("event_version", "2026-12-01")),
		e.call("PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"event_version": "latest"}),
	} {
		reason, _ := bad.Error.Details["event_version"].(string)
		if bad.status != 422 || !strings.Contains(reason, "2026-11-01, 2027-01-15") {
			t.Errorf("unknown version: %d %s", bad.status, bad.raw)
		}
	}
}
