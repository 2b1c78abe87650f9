package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/store"
)

func TestErrors(t *testing.T) {
	e := newEnv(t)
	check := func(name string, a answer, status int, code string) {
		t.Helper()
		if a.status != status || a.Success || a.Error.Code != code || a.Error.Message == "" || a.Error.RequestID == "" {
			t.Errorf("%s: got %d %s, want %d %s in the documented shape", name, a.status, a.raw, status, code)
		}
	}
	check("no key", e.call("GET", "/v1/connections", "", nil), 401, "UNAUTHORIZED")
	check("wrong key", e.call("GET", "/v1/connections", "wsk_nobody", nil), 401, "UNAUTHORIZED")
	check("not bearer", e.call("GET", "/v1/connections", "", nil, "authorization", "Basic "+keyA), 401, "UNAUTHORIZED")
	check("unknown route", e.call("GET", "/v1/weddings", keyA, nil), 404, "NOT_FOUND")
	check("unknown route without a key", e.call("GET", "/v1/weddings", "", nil), 404, "NOT_FOUND")
	check("wrong method", e.call("PUT", "/v1/connections", keyA, map[string]any{}), 405, "METHOD_NOT_ALLOWED")
	check("unknown id", e.call("GET", "/v1/connections/conn_nope", keyA, nil), 404, "NOT_FOUND")

	bad := e.call("POST", "/v1/subscriptions", keyA, []byte(`{"endpoint_url": "https://x.example.com",`))
	check("bad JSON", bad, 400, "INVALID_JSON")
	if strings.Contains(bad.raw, "x.example.com") {
		t.Errorf("a 400 echoes the body: %s", bad.raw)
	}

	schema := e.call("POST", "/v1/subscriptions", keyA, map[string]any{
		"event_types": []string{}, "retry_policy": map[string]any{"max_attempts": 11, "backoff_strategy": "sometimes", "initial_delay_seconds": 0},
	})
	check("schema violations", schema, 422, "VALIDATION_FAILED")
	for _, field := range []string{"endpoint_url", "event_types", "retry_policy.max_attempts", "retry_policy.backoff_strategy", "retry_policy.initial_delay_seconds"} {
		if _, ok := schema.Error.Details[field]; !ok {
			t.Errorf("422 does not name %s: %s", field, schema.raw)
		}
	}
	rules := e.call("POST", "/v1/subscriptions", keyA, map[string]any{
		"endpoint_url": "https://169.254.169.254/latest", "event_types": []string{"payment.recieved"}, "secret": "not-a-whsec",
		"headers": map[string]string{"webhook-signature": "forged"},
	})
	check("rule violations", rules, 422, "VALIDATION_FAILED")
	for _, field := range []string{"endpoint_url", "event_types", "secret", "headers"} {
		if _, ok := rules.Error.Details[field]; !ok {
			t.Errorf("422 does not name %s: %s", field, rules.raw)
		}
	}
	if strings.Contains(rules.raw, "not-a-whsec") {
		t.Errorf("a 422 echoes a secret: %s", rules.raw)
	}
	conn := e.call("POST", "/v1/connections", keyA, map[string]any{"kind": "stripe", "url": "https://x"})
	check("connection rules", conn, 422, "VALIDATION_FAILED")
	if conn.Error.Details["secret"] == nil || conn.Error.Details["url"] == nil {
		t.Errorf("422 does not name secret and url: %s", conn.raw)
	}
	check("unknown kind", e.call("POST", "/v1/connections", keyA, map[string]any{"kind": "myspace"}), 422, "VALIDATION_FAILED")
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"booking.*"}}
	first := e.call("POST", "/v1/subscriptions", keyA, body, "idempotency-key", "create-sub-1")
	second := e.call("POST", "/v1/subscriptions", keyA, body, "idempotency-key", "create-sub-1")
	if first.status != 201 || second.status != 201 || first.raw != second.raw || second.header.Get("idempotent-replayed") != "true" {
		t.Fatalf("first %d %s\nsecond %d %s", first.status, first.raw, second.status, second.raw)
	}
	var page struct {
		Subscriptions []subscription `json:"subscriptions"`
	}
	e.must(200, "GET", "/v1/subscriptions", keyA, nil, &page)
	if len(page.Subscriptions) != 1 {
		t.Fatalf("a repeated write created %d subscriptions", len(page.Subscriptions))
	}
	body["event_types"] = []string{"payment.*"}
	if a := e.call("POST", "/v1/subscriptions", keyA, body, "idempotency-key", "create-sub-1"); a.status != http.StatusConflict || a.Error.Code != "CONFLICT" {
		t.Fatalf("same key, other body: %d %s", a.status, a.raw)
	}
	if a := e.call("POST", "/v1/subscriptions", keyB, body, "idempotency-key", "create-sub-1"); a.status != 201 {
		t.Fatalf("the key is scoped to the tenant, yet tenant B got %d %s", a.status, a.raw)
	}
	failed := e.call("POST", "/v1/subscriptions", keyA, map[string]any{"event_types": []string{"x"}}, "idempotency-key", "bad-1")
	again := e.call("POST", "/v1/subscriptions", keyA, map[string]any{"event_types": []string{"x"}}, "idempotency-key", "bad-1")
	if failed.status != 422 || again.status != 422 || failed.raw != again.raw {
		t.Fatalf("a rejected write should replay its rejection: %d / %d", failed.status, again.status)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.server.RateLimits = &store.RateLimits{DB: e.db, Table: e.tables["rate_limits"]}
	e.server.Limits.RequestsPerSecond = 2
	for i := range 2 {
		if a := e.call("GET", "/v1/event-types", keyA, nil); a.status != 200 {
			t.Fatalf("request %d: %d", i+1, a.status)
		}
	}
	a := e.call("GET", "/v1/event-types", keyA, nil)
	if a.status != http.StatusTooManyRequests || a.Error.Code != "RATE_LIMITED" || a.header.Get("retry-after") != "1" {
		t.Fatalf("third request in a second: %d %s", a.status, a.raw)
	}
	if a := e.call("GET", "/v1/event-types", keyB, nil); a.status != 200 {
		t.Fatalf("tenant B is limited by tenant A's requests: %d", a.status)
	}
}
