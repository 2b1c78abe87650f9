package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/store"
)

// TestTenantIsolation walks every operation of the OpenAPI document (the router's own
// table) with tenant B's key against tenant A's resources.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	var c1, c2 connection
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "custom", "name": "A's CRM"}, &c1)
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "stripe", "secret": "whsec_a_stripe_secret"}, &c2)
	var sub subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}, &sub)
	if _, _, err := e.events.PutNew(context.Background(), store.Event{ID: "evt_of_tenant_a", TenantID: "tenant-a", Type: "booking.created",
		CorrelationID: "evt_of_tenant_a", Time: now, Envelope: []byte(`{"id":"evt_of_tenant_a"}`), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	var test struct {
		ID string `json:"id"`
	}
	e.must(202, "POST", "/v1/subscriptions/"+sub.ID+"/test", keyA, nil, &test)
	var key struct {
		ID string `json:"id"`
	}
	e.must(201, "POST", "/v1/api-keys", keyA, map[string]any{"name": "A's key"}, &key)
	var job struct {
		ID string `json:"id"`
	}
	e.must(202, "POST", "/v1/contacts/erase", keyA, map[string]any{"email": "jane@example.com"}, &job)
	ids := map[string]string{"connections": c1.ID, "subscriptions": sub.ID, "events": "evt_of_tenant_a", "deliveries": test.ID, "api-keys": key.ID,
		"jobs": job.ID}
	aIDs := []string{c1.ID, c2.ID, sub.ID, "evt_of_tenant_a", test.ID, key.ID, job.ID}

	creates := []string{"create-connection", "create-subscription", "create-api-key", "erase-contact"}
	covered := 0
	for path, item := range e.server.OpenAPI().Paths {
		for method, op := range map[string]any{"GET": item.Get, "POST": item.Post, "PATCH": item.Patch, "DELETE": item.Delete, "PUT": item.Put} {
			if op == nil || isNilOp(op) {
				continue
			}
			opID := operationID(op)
			t.Run(method+" "+path, func(t *testing.T) {
				covered++
				body := map[string]any{}
				if method == "PATCH" {
					body["description"] = "changed by tenant B"
				}
				switch {
				case strings.Contains(path, "{id}"):
					resource := strings.Split(strings.TrimPrefix(path, "/v1/"), "/")[0]
					id, ok := ids[resource]
					if !ok {
						t.Fatalf("no tenant A %s to probe %s with", resource, path)
					}
					a := e.call(method, strings.Replace(path, "{id}", id, 1), keyB, bodyFor(method, body))
					if a.status != http.StatusNotFound || a.Error.Code != "NOT_FOUND" {
						t.Fatalf("tenant B got %d %s on tenant A's %s", a.status, a.raw, id)
					}
				case path == "/v1/deliveries":
					a := e.call(method, path+"?subscription_id="+sub.ID, keyB, nil)
					if a.status != http.StatusNotFound {
						t.Fatalf("tenant B listed tenant A's deliveries: %d %s", a.status, a.raw)
					}
				case method == "GET":
					a := e.call(method, path, keyB, nil)
					if a.status != http.StatusOK {
						t.Fatalf("list as tenant B: %d %s", a.status, a.raw)
					}
					for _, id := range aIDs {
						if strings.Contains(a.raw, id) {
							t.Fatalf("tenant B's list shows tenant A's %s: %s", id, a.raw)
						}
					}
				case slices.Contains(creates, opID):
					// Creating is not about A's resources; tenant B creates its own (checked below).
				default:
					t.Fatalf("operation %s (%s %s) is not classified by this test", opID, method, path)
				}
			})
		}
	}
	if covered < 12 {
		t.Fatalf("only %d operations walked; the route table seems incomplete", covered)
	}

	t.Run("A's resources are untouched", func(t *testing.T) {
		var got connection
		e.must(200, "GET", "/v1/connections/"+c1.ID, keyA, nil, &got)
		if got.Status != "active" {
			t.Fatalf("tenant B changed A's connection: %+v", got)
		}
		e.must(200, "GET", "/v1/subscriptions/"+sub.ID, keyA, nil, nil)
		e.must(200, "GET", "/v1/events/evt_of_tenant_a", keyA, nil, nil)
		e.must(200, "GET", "/v1/deliveries/"+test.ID, keyA, nil, nil)
		e.must(200, "GET", "/v1/deliveries?subscription_id="+sub.ID, keyA, nil, nil)
	})

	t.Run("a cursor minted for A is refused for B", func(t *testing.T) {
		var page struct {
			NextCursor string `json:"next_cursor"`
		}
		e.must(200, "GET", "/v1/connections?limit=1", keyA, nil, &page)
		if page.NextCursor == "" {
			t.Fatal("no cursor for a second page")
		}
		a := e.call("GET", "/v1/connections?limit=1&cursor="+page.NextCursor, keyB, nil)
		if a.status != http.StatusUnprocessableEntity || a.Error.Details["cursor"] == nil {
			t.Fatalf("B used A's cursor: %d %s", a.status, a.raw)
		}
		if a := e.call("GET", "/v1/subscriptions?cursor="+page.NextCursor, keyA, nil); a.status != http.StatusUnprocessableEntity {
			t.Fatalf("a connections cursor worked on subscriptions: %d %s", a.status, a.raw)
		}
	})

	t.Run("what B creates is B's", func(t *testing.T) {
		var mine connection
		e.must(201, "POST", "/v1/connections", keyB, map[string]any{"kind": "zapier"}, &mine)
		if a := e.call("GET", "/v1/connections/"+mine.ID, keyA, nil); a.status != http.StatusNotFound {
			t.Fatalf("tenant A sees B's new connection: %d", a.status)
		}
	})
}

func bodyFor(method string, body map[string]any) any {
	if method == "GET" || method == "DELETE" {
		return nil
	}
	return body
}
