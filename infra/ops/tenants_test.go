package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// apiOn serves the management API over target's tables, on the tests' clock.
func apiOn(t *testing.T, target *Target) string {
	t.Helper()
	sealer, err := target.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	db := target.DB
	s := (&api.Server{
		Keys:          apiKeys(target),
		Connections:   &store.Connections{DB: db, Table: target.table(topology.TableConnections)},
		Subscriptions: &store.Subscriptions{DB: db, Table: target.table(topology.TableSubscriptions)},
		Events:        &store.Events{DB: db, Table: target.table(topology.TableEvents)},
		Idempotency:   &store.IdempotencyKeys{DB: db, Table: target.table(topology.TableIdempotencyKeys)},
		Deliveries:    &store.Deliveries{DB: db, Table: target.table(topology.TableDeliveries)},
		Credentials:   &store.Credentials{DB: db, Table: target.table(topology.TableCredentials)},
		Sealer:        sealer, Cursors: api.Cursors{Key: []byte("test-cursor-key-0123456789abcdef")},
		Now: clock, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}).Build()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

// call sends one /v1 request with key and returns its status and body.
func call(t *testing.T, base, method, path, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("content-type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// localStack writes the state file of a running local stack whose emulators and
// resources are target's, under a fresh repository root, as make dev does.
func localStack(t *testing.T, target *Target) string {
	t.Helper()
	root := t.TempDir()
	st := local.State{URL: "http://127.0.0.1:3000", DynamoDB: testenv.DynamoDBEndpoint(t), SQS: testenv.SQSEndpoint(t), KMS: testenv.KMSEndpoint(t),
		KMSKeyID: target.SecretsKeyID, Tables: target.Tables, Queues: target.Queues, DLQs: target.DLQs, Running: true}
	b, _ := json.Marshal(st)
	if err := os.MkdirAll(filepath.Join(root, ".dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local.StatePath(filepath.Join(root, ".dev")), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

// opsAt runs the command line as the binary does, from root.
func opsAt(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := run(context.Background(), root, args, &out, &errw)
	return out.String(), err
}

// TestTenantAndKeyOnTheLocalStack is acceptance 4: tenant create and key issue against
// the local stack (found through its state file, --stage local) give a key that /v1
// accepts; key revoke makes it refused from the very next request (keys are not cached:
// the README's window is none); tenant disable refuses every key of the tenant and marks
// its connections (their ingest URLs answer 404, shared/ingest's test), tenant enable
// undoes it.
func TestTenantAndKeyOnTheLocalStack(t *testing.T) {
	target := newTarget(t)
	root := localStack(t, target)
	base := apiOn(t, target)

	out, err := opsAt(t, root, "tenant", "create", "--stage", "local", "--name", "Lumière Photo", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Tenant tenantView }
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Tenant.ID, "t_lumi-re-photo_") {
		t.Fatalf("tenant create: %s, %v", out, err)
	}
	tenant := created.Tenant.ID
	out, err = opsAt(t, root, "key", "issue", "--stage", "local", "--tenant", tenant, "--name", "first key", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var issued struct {
		APIKey keyView `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(out), &issued); err != nil || !strings.HasPrefix(issued.APIKey.Key, "wsk_") {
		t.Fatalf("key issue: %s, %v", out, err)
	}
	key := issued.APIKey.Key
	if status, body := call(t, base, "GET", "/v1/api-keys", key, ""); status != 200 || !strings.Contains(body, issued.APIKey.ID) {
		t.Fatalf("/v1 with the issued key: %d %s", status, body)
	}
	if listed, _ := opsAt(t, root, "key", "list", "--stage", "local", "--tenant", tenant); !strings.Contains(listed, issued.APIKey.ID) || strings.Contains(listed, key) {
		t.Errorf("key list shows the key or not its id:\n%s", listed)
	}

	if _, err := opsAt(t, root, "key", "revoke", "--stage", "local", "--tenant", tenant, "--key", issued.APIKey.ID); err != nil {
		t.Fatal(err)
	}
	if status, body := call(t, base, "GET", "/v1/connections", key, ""); status != 401 || !strings.Contains(body, "revoked") {
		t.Fatalf("a revoked key, the next request: %d %s", status, body)
	}

	second := mustOps(t, target, "key", "issue", "--stage", "test", "--tenant", tenant, "--json")
	_ = json.Unmarshal([]byte(second), &issued)
	key = issued.APIKey.Key
	status, body := call(t, base, "POST", "/v1/connections", key, `{"kind":"custom","name":"CRM"}`)
	if status != 201 {
		t.Fatalf("create a connection: %d %s", status, body)
	}
	var conn struct {
		Data struct{ ID string } `json:"data"`
	}
	_ = json.Unmarshal([]byte(body), &conn)
	out = mustOps(t, target, "tenant", "disable", "--stage", "test", "--tenant", tenant)
	if !strings.Contains(out, "2 API key(s) and 1 connection(s) marked") {
		t.Errorf("disable: %s", out)
	}
	if status, body := call(t, base, "GET", "/v1/connections", key, ""); status != 401 || !strings.Contains(body, "disabled") {
		t.Fatalf("a disabled tenant's key: %d %s", status, body)
	}
	c, err := (&store.Connections{DB: target.DB, Table: target.table(topology.TableConnections)}).Get(context.Background(), conn.Data.ID)
	if err != nil || c.TenantDisabledAt.IsZero() {
		t.Fatalf("the tenant's connection is not marked: %+v, %v", c, err)
	}
	if _, err := ops(t, target, "key", "issue", "--stage", "test", "--tenant", tenant); !errors.Is(err, ErrTenantDisabled) {
		t.Errorf("a key for a disabled tenant: %v", err)
	}
	mustOps(t, target, "tenant", "enable", "--stage", "test", "--tenant", tenant)
	if status, body := call(t, base, "GET", "/v1/connections", key, ""); status != 200 {
		t.Fatalf("after enable: %d %s", status, body)
	}
	if listed := mustOps(t, target, "tenant", "list", "--stage", "test"); !strings.Contains(listed, tenant) || !strings.Contains(listed, "active") {
		t.Errorf("tenant list:\n%s", listed)
	}
	if _, err := opsAt(t, t.TempDir(), "tenant", "list", "--stage", "local"); !errors.Is(err, ErrNoLocalStack) {
		t.Errorf("no local stack: %v", err)
	}
}
