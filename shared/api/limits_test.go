package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// withLimits makes e's server count quotas and rates as FromEnv wires them, with small
// limits, on one clock.
func (e *env) withLimits(l api.Limits) *testenv.Clock {
	e.t.Helper()
	tx, ok := e.db.(store.TransactDB)
	if !ok {
		e.t.Fatalf("%T cannot write transactions", e.db)
	}
	counters := e.tables["rate_limits"]
	e.server.Connections = &store.CountedConnections{Connections: e.conns, Tx: tx,
		Quota: store.Quota{Counters: counters, Kind: "connections", Limit: l.Connections}}
	e.server.Subscriptions = &store.CountedSubscriptions{Subscriptions: &store.Subscriptions{DB: e.db, Table: e.tables["subscriptions"]},
		Tx: tx, Quota: store.Quota{Counters: counters, Kind: "subscriptions", Limit: l.Subscriptions}}
	e.server.RateLimits = &store.RateLimits{DB: e.db, Table: counters}
	e.server.Limits = l
	c := testenv.NewClock(now)
	e.server.Now = c.Now
	e.server.Tester.(*delivery.Tester).Now = c.Now
	return c
}

// TestCountQuotas: a tenant over its subscription or connection quota gets 409
// QUOTA_EXCEEDED (with an Idempotency-Key, which stays free for a retry); another tenant is
// unaffected; a delete frees a place.
func TestCountQuotas(t *testing.T) {
	e := newEnv(t)
	e.withLimits(api.Limits{RequestsPerSecond: 1000, Subscriptions: 2, Connections: 1})
	sub := map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}
	var first subscription
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", keyA, sub, &first)
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", keyA, sub, nil)
	over := e.call("POST", "/v1/subscriptions", keyA, sub, "idempotency-key", "third")
	if over.status != http.StatusConflict || over.Error.Code != "QUOTA_EXCEEDED" || !strings.Contains(over.Error.Message, "2 subscriptions") {
		t.Fatalf("third subscription of two: %d %s", over.status, over.raw)
	}
	if over.header.Get("retry-after") != "" {
		t.Errorf("a quota, which waiting does not free, answered Retry-After")
	}
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", keyB, sub, nil)
	e.must(http.StatusOK, "DELETE", "/v1/subscriptions/"+first.ID, keyA, nil, nil)
	if a := e.call("POST", "/v1/subscriptions", keyA, sub, "idempotency-key", "third"); a.status != http.StatusCreated {
		t.Fatalf("the same Idempotency-Key after a delete: %d %s", a.status, a.raw)
	}
	if a := e.call("POST", "/v1/subscriptions", keyA, sub); a.status != http.StatusConflict || a.Error.Code != "QUOTA_EXCEEDED" {
		t.Fatalf("a third again: %d %s", a.status, a.raw)
	}

	conn := map[string]any{"kind": "custom", "name": "CRM"}
	var c connection
	e.must(http.StatusCreated, "POST", "/v1/connections", keyA, conn, &c)
	if a := e.call("POST", "/v1/connections", keyA, conn); a.status != http.StatusConflict || a.Error.Code != "QUOTA_EXCEEDED" ||
		!strings.Contains(a.Error.Message, "1 connections") {
		t.Fatalf("second connection of one: %d %s", a.status, a.raw)
	}
	e.must(http.StatusCreated, "POST", "/v1/connections", keyB, conn, nil)
	e.must(http.StatusOK, "DELETE", "/v1/connections/"+c.ID, keyA, nil, nil)
	e.must(http.StatusCreated, "POST", "/v1/connections", keyA, conn, nil)
}

// TestOperationRates: replays, recoveries and test events each have a per-minute rate per
// tenant: past it, 429 RATE_LIMITED with Retry-After up to the next minute, nothing done;
// another tenant, another operation and the next minute are unaffected.
func TestOperationRates(t *testing.T) {
	e := newEnv(t)
	c := e.withLimits(api.Limits{RequestsPerSecond: 1000, Subscriptions: 50, Connections: 20, ReplaysPerMinute: 2, RecoversPerMinute: 1, TestEventsPerMinute: 1})
	c.Set(now.Add(15 * time.Second))
	subs := map[string]subscription{}
	for key, tenant := range map[string]string{keyA: "tenant-a", keyB: "tenant-b"} {
		var sub subscription
		e.must(http.StatusCreated, "POST", "/v1/subscriptions", key, map[string]any{"endpoint_url": "https://a.example.com/b", "event_types": []string{"*"}}, &sub)
		subs[key] = sub
		id := "evt_rate_" + tenant
		env := fmt.Sprintf(`{"specversion":"1.0","id":%q,"type":"booking.created","tenantid":%q,"provider":"custom","data":{}}`, id, tenant)
		if _, _, err := e.events.PutNew(context.Background(), store.Event{ID: id, TenantID: tenant, Type: "booking.created",
			CorrelationID: id, Time: now, Envelope: []byte(env), ReceivedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	replay := func(key string) answer {
		tenant := map[string]string{keyA: "tenant-a", keyB: "tenant-b"}[key]
		return e.call("POST", "/v1/events/evt_rate_"+tenant+"/replay", key, map[string]any{})
	}
	ops := []struct {
		name    string
		allowed int
		call    func(key string) answer
	}{
		{"replay", 2, replay},
		{"recover", 1, func(key string) answer {
			return e.call("POST", "/v1/subscriptions/"+subs[key].ID+"/recover", key, map[string]any{})
		}},
		{"test event", 1, func(key string) answer {
			return e.call("POST", "/v1/subscriptions/"+subs[key].ID+"/test", key, map[string]any{})
		}},
	}
	for _, op := range ops {
		for i := range op.allowed {
			if a := op.call(keyA); a.status != http.StatusAccepted {
				t.Fatalf("%s %d of %d: %d %s", op.name, i+1, op.allowed, a.status, a.raw)
			}
		}
		before := e.queued(t)
		a := op.call(keyA)
		if a.status != http.StatusTooManyRequests || a.Error.Code != "RATE_LIMITED" || a.header.Get("retry-after") != "45" {
			t.Fatalf("%s over the rate: %d retry-after=%q %s", op.name, a.status, a.header.Get("retry-after"), a.raw)
		}
		if op.name != "recover" && e.queued(t) != 0 {
			t.Fatalf("a refused %s still queued deliveries (%d before)", op.name, before)
		}
		if a := op.call(keyB); a.status != http.StatusAccepted {
			t.Fatalf("tenant B's %s after tenant A's ran out: %d %s", op.name, a.status, a.raw)
		}
	}
	if a := e.call("GET", "/v1/subscriptions/"+subs[keyA].ID, keyA, nil); a.status != http.StatusOK {
		t.Fatalf("another operation of the limited tenant: %d", a.status)
	}
	c.Set(now.Add(time.Minute))
	for _, op := range ops {
		if a := op.call(keyA); a.status != http.StatusAccepted {
			t.Fatalf("%s in the next minute: %d %s", op.name, a.status, a.raw)
		}
	}
}

// TestLimitsAreDocumented: every operation documents 429 with Retry-After; the creates a
// quota bounds document 409 QUOTA_EXCEEDED with the configured quota; rotations document
// the secret set's bound.
func TestLimitsAreDocumented(t *testing.T) {
	s := (&api.Server{Limits: api.Limits{Subscriptions: 7}}).Build()
	ops := 0
	for path, item := range s.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Patch, item.Put, item.Delete} {
			if op == nil {
				continue
			}
			ops++
			r := op.Responses["429"]
			if r == nil || r.Headers["Retry-After"] == nil || !strings.Contains(r.Description, "RATE_LIMITED") {
				t.Errorf("%s %s does not document 429 with Retry-After", op.Method, path)
			}
			if op.OperationID == "replay-event" && !strings.Contains(r.Description, "60 replays a minute") {
				t.Errorf("replay's 429 does not give the default rate: %q", r.Description)
			}
			if strings.HasPrefix(op.OperationID, "rotate-") && !strings.Contains(op.Description, "at most 3 secrets") {
				t.Errorf("%s does not document the secret set's bound: %q", op.OperationID, op.Description)
			}
			conflict := op.Responses["409"]
			switch op.OperationID {
			case "create-subscription", "create-connection":
				if conflict == nil || !strings.Contains(conflict.Description, "QUOTA_EXCEEDED") {
					t.Errorf("%s does not document 409 QUOTA_EXCEEDED", op.OperationID)
				}
			}
			if op.OperationID == "create-subscription" && !strings.Contains(conflict.Description, "7 subscriptions") {
				t.Errorf("the subscription quota is not the configured one: %q", conflict.Description)
			}
		}
	}
	if ops < 14 {
		t.Fatalf("only %d operations", ops)
	}
}
