package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSubscriptionHeadersRefuseReservedNames: a subscription's custom headers may not name a
// header every delivery sets, a hop-by-hop header or any proxy-* header, in any case, on
// create or on update; the 422 names each refused header and echoes no value.
func TestSubscriptionHeadersRefuseReservedNames(t *testing.T) {
	e := newEnv(t)
	reserved := []string{
		"webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE", "Webhook-Anything-Later", "Content-Type", "content-length", "User-Agent", "Host",
		"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "proxy-connection",
	}
	var sub subscription
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", keyA, map[string]any{
		"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"},
		"headers": map[string]string{"Authorization": "Bearer theirs", "X-Tenant": "lumiere"},
	}, &sub)
	for _, name := range reserved {
		body := map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"},
			"headers": map[string]string{"X-Fine": "yes", name: "sneaky-value"}}
		for _, a := range []answer{
			e.call("POST", "/v1/subscriptions", keyA, body),
			e.call("PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"headers": body["headers"]}),
		} {
			reason, _ := a.Error.Details["headers"].(string)
			if a.status != http.StatusUnprocessableEntity || a.Error.Code != "VALIDATION_FAILED" || !strings.Contains(reason, name) {
				t.Errorf("header %s: %d %s, want 422 VALIDATION_FAILED naming it", name, a.status, a.raw)
			}
			if strings.Contains(a.raw, "sneaky-value") || strings.Contains(reason, "X-Fine") {
				t.Errorf("header %s: the reason echoes a value or names an allowed header: %s", name, a.raw)
			}
		}
	}
	for name, value := range map[string]string{"X-Split": "a\r\nX-Injected: b", "Bad Name": "v", "X-Nul": "a\x00b"} {
		a := e.call("POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook",
			"event_types": []string{"*"}, "headers": map[string]string{name: value}})
		if reason, _ := a.Error.Details["headers"].(string); a.status != http.StatusUnprocessableEntity || !strings.Contains(reason, name) {
			t.Errorf("header %q: %d %s, want 422 naming it", name, a.status, a.raw)
		}
	}
	var withHeaders struct {
		Headers map[string]string `json:"headers"`
	}
	e.must(http.StatusOK, "GET", "/v1/subscriptions/"+sub.ID, keyA, nil, &withHeaders)
	if len(withHeaders.Headers) != 2 || withHeaders.Headers["X-Tenant"] != "lumiere" {
		t.Fatalf("a refused update changed the headers: %v", withHeaders.Headers)
	}
}
