package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/envelope/envelopetest"
	"github.com/wedsync/webhooks/shared/store"
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

// TestVersionHeader: without WedSync-Version, /v1/events answers envelopes at the latest
// version; WedSync-Version: 2026-11-01, a deprecated version, answers them in that shape
// with Deprecation, Sunset and a Link to the changelog the API serves; an unknown version
// is a 422.
func TestVersionHeader(t *testing.T) {
	e := newEnv(t)
	doc, _ := envelope.LookupType(envelope.PaymentReceived)
	env := doc.ExampleEnvelope()
	env.TenantID = "tenant-a"
	stored, _ := json.Marshal(env)
	if _, _, err := e.events.PutNew(context.Background(), store.Event{ID: env.ID, TenantID: env.TenantID, Type: env.Type,
		CorrelationID: env.ID, Time: now, Envelope: stored, ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	type page struct {
		Events []struct {
			Envelope json.RawMessage `json:"envelope"`
		} `json:"events"`
	}
	list := func(version string) (answer, json.RawMessage) {
		t.Helper()
		var headers []string
		if version != "" {
			headers = []string{"WedSync-Version", version}
		}
		a := e.call("GET", "/v1/events", keyA, nil, headers...)
		var p page
		if a.status != 200 || json.Unmarshal(a.Data, &p) != nil || len(p.Events) != 1 {
			t.Fatalf("GET /v1/events (%q): %d %s", version, a.status, a.raw)
		}
		envelopetest.Validate(t, p.Events[0].Envelope)
		return a, p.Events[0].Envelope
	}

	latest, body := list("")
	if latest.header.Get("WedSync-Version") != "2027-01-15" || latest.header.Get("Deprecation") != "" || latest.header.Get("Sunset") != "" {
		t.Errorf("latest: headers %v", latest.header)
	}
	if !strings.Contains(string(body), `"amount_decimal":"2500.00"`) || !strings.Contains(string(body), `"eventversion":"2027-01-15"`) {
		t.Errorf("latest shape: %s", body)
	}

	old, body := list("2026-11-01")
	if strings.Contains(string(body), "amount_decimal") || strings.Contains(string(body), `"customer":`) ||
		!strings.Contains(string(body), `"eventversion":"2026-11-01"`) {
		t.Errorf("2026-11-01 shape: %s", body)
	}
	deprecated := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	if got, want := old.header.Get("Deprecation"), "@"+strconv.FormatInt(deprecated.Unix(), 10); got != want {
		t.Errorf("Deprecation %q, want %q", got, want)
	}
	if got := old.header.Get("Sunset"); got != "Thu, 15 Jul 2027 00:00:00 GMT" {
		t.Errorf("Sunset %q", got)
	}
	link := old.header.Get("Link")
	m := regexp.MustCompile(`^<([^>]+)>; rel="deprecation"; type="text/html"$`).FindStringSubmatch(link)
	if m == nil || !strings.HasPrefix(m[1], e.url+"/v1/changelog") {
		t.Fatalf("Link %q", link)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page2, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page2), `<h2 id="2026-11-01">`) || !strings.Contains(string(page2), "Deprecated since 2027-01-15") {
		t.Fatalf("changelog: %d %s", resp.StatusCode, page2)
	}

	one := e.call("GET", "/v1/events/"+env.ID, keyA, nil, "WedSync-Version", "2026-11-01")
	if one.status != 200 || one.header.Get("Sunset") == "" || strings.Contains(string(one.Data), "amount_decimal") {
		t.Errorf("GET one event at 2026-11-01: %d %v %s", one.status, one.header, one.raw)
	}
	bad := e.call("GET", "/v1/events", keyA, nil, "WedSync-Version", "2027-02-30")
	if reason, _ := bad.Error.Details["WedSync-Version"].(string); bad.status != 422 || !strings.Contains(reason, "2026-11-01, 2027-01-15") {
		t.Errorf("unknown version: %d %s", bad.status, bad.raw)
	}
}
