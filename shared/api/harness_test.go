package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/jobs"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

const (
	keyA = "wsk_test_tenant_a_0123456789"
	keyB = "wsk_test_tenant_b_0123456789"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// env is the API on fresh tables and a fresh KMS key, served over loopback HTTP.
type env struct {
	t      *testing.T
	url    string
	server *api.Server
	tables map[string]string
	db     store.DynamoDB
	sealer *secrets.Envelope
	logs   *emulator.LockedBuffer
	conns  *store.Connections
	events *store.Events
	// deliveriesQueue is the URL of the queue test events go to.
	deliveriesQueue string
	// commandsQueue is the URL of the queue background jobs go to.
	commandsQueue string
	jobs          *store.Jobs
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	k := testenv.KMS(t, cfg)
	sealer := &secrets.Envelope{Client: k, KeyID: testenv.KMSKey(t, k)}
	keys := &store.APIKeys{DB: db, Table: tables["api_keys"]}
	for key, tenant := range map[string]string{keyA: "tenant-a", keyB: "tenant-b"} {
		if err := keys.Put(context.Background(), store.APIKey{Hash: store.HashKey(key), TenantID: tenant, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	logs := &emulator.LockedBuffer{}
	e := &env{t: t, tables: tables, db: db, sealer: sealer, logs: logs,
		conns:  &store.Connections{DB: db, Table: tables["connections"]},
		events: &store.Events{DB: db, Table: tables["events"]}}
	sq := testenv.SQS(t, cfg)
	e.deliveriesQueue = testenv.Queue(t, sq, "deliveries", 30*time.Second)
	e.commandsQueue = testenv.Queue(t, sq, "commands", 30*time.Second)
	e.jobs = &store.Jobs{DB: db, Table: tables["jobs"]}
	// The server's own clients hold to the api function's grants, as its role does in AWS.
	granted := testenv.Config(testenv.CallTimeout, testenv.Grants(t, "api", tables,
		map[string]string{topology.QueueDeliveries: e.deliveriesQueue, topology.QueueCommands: e.commandsQueue}))
	gdb, gsq := testenv.DynamoDB(t, granted), testenv.SQS(t, granted)
	deliveries := &store.Deliveries{DB: gdb, Table: tables["deliveries"]}
	serverEvents := &store.Events{DB: gdb, Table: tables["events"]}
	e.server = (&api.Server{
		Jobs:          &jobs.Starter{Jobs: &store.Jobs{DB: gdb, Table: tables["jobs"]}, Queue: gsq, URL: e.commandsQueue, Sealer: sealer, Now: func() time.Time { return now }},
		Keys:          &store.APIKeys{DB: gdb, Table: tables["api_keys"]},
		Connections:   &store.Connections{DB: gdb, Table: tables["connections"]},
		Subscriptions: &store.Subscriptions{DB: gdb, Table: tables["subscriptions"]},
		Events:        serverEvents,
		Idempotency:   &store.IdempotencyKeys{DB: gdb, Table: tables["idempotency_keys"]},
		Deliveries:    deliveries,
		Credentials:   &store.Credentials{DB: gdb, Table: tables["credentials"]},
		Tester: &delivery.Tester{Events: serverEvents, Deliveries: deliveries, Now: func() time.Time { return now },
			Queue: &queue.Deliveries{SQS: gsq, URL: e.deliveriesQueue}},
		Sealer:  sealer,
		Cursors: api.Cursors{Key: []byte("test-cursor-key-0123456789abcdef")},
		Now:     func() time.Time { return now },
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}).Build()
	srv := httptest.NewServer(e.server)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

type answer struct {
	status  int
	header  http.Header
	raw     string
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   struct {
		Code      string         `json:"code"`
		Message   string         `json:"message"`
		Details   map[string]any `json:"details"`
		RequestID string         `json:"request_id"`
	} `json:"error"`
}

// call sends one request; body is marshaled unless it is already []byte.
func (e *env) call(method, path, key string, body any, headers ...string) answer {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("content-type", "application/json")
	}
	if key != "" {
		req.Header.Set("authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &a); err != nil {
			e.t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, b, err)
		}
	}
	return a
}

// must sends a request that must answer want, and decodes its data into out.
func (e *env) must(want int, method, path, key string, body any, out any) answer {
	e.t.Helper()
	a := e.call(method, path, key, body)
	if a.status != want {
		e.t.Fatalf("%s %s: got %d %s, want %d", method, path, a.status, a.raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(a.Data, out); err != nil {
			e.t.Fatalf("%s %s: data %s: %v", method, path, a.Data, err)
		}
	}
	return a
}

type connection struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	IngestURL string `json:"ingest_url"`
	Secret    string `json:"secret"`
}

type subscription struct {
	ID          string   `json:"id"`
	EndpointURL string   `json:"endpoint_url"`
	EventTypes  []string `json:"event_types"`
	Active      bool     `json:"active"`
	Secret      string   `json:"secret"`
}
