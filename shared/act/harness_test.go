package act_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/act"
	"github.com/wedsync/webhooks/shared/commands"
	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/envelope/envelopetest"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/reactions"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const tenant = "tenant-1"

// clock is the test's one clock: every part the rig starts reads it; sleeps advance it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
	return ctx.Err()
}

func (c *clock) Advance(d time.Duration) { _ = c.Sleep(context.Background(), d) }

// rig is act, and process in front of it, on fresh tables and queues.
type rig struct {
	t           *testing.T
	clock       *clock
	events      *store.Events
	credentials *store.Credentials
	connections *store.Connections
	actions     *store.Actions
	sqs         *sqs.Client
	eventsURL   string
	commandsURL string
	clients     *act.Clients
	act         *act.Handler
	process     *process.Handler
	logs        *emulator.LockedBuffer
}

// newRig builds the rig with the providers pointed at urls (kind → base URL; Calendly's
// token endpoint is its base + /oauth/token).
func newRig(t *testing.T, urls map[string]string) *rig {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	r := &rig{t: t, clock: &clock{now: t0}, logs: &emulator.LockedBuffer{}, sqs: testenv.SQS(t, cfg),
		events:      &store.Events{DB: db, Table: tables["events"]},
		credentials: &store.Credentials{DB: db, Table: tables["credentials"]},
		actions:     &store.Actions{DB: db, Table: tables["actions"]},
	}
	r.eventsURL = testenv.Queue(t, r.sqs, "events", 30*time.Second)
	r.commandsURL = testenv.Queue(t, r.sqs, "commands", 30*time.Second)
	providers := map[string]connectors.Provider{}
	for kind, p := range connectors.Providers() {
		e := connectors.Endpoints{BaseURL: urls[kind]}
		if kind == "calendly" && e.BaseURL != "" {
			e.TokenURL = e.BaseURL + "/oauth/token"
		}
		resolved, err := connectors.Resolve(p, e, true)
		if err != nil {
			t.Fatal(err)
		}
		providers[kind] = resolved
	}
	retry := connectors.Retry{Attempts: 4, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxRetryAfter: 30 * time.Second}
	r.connections = &store.Connections{DB: db, Table: tables["connections"]}
	// act runs on clients held to its function's grants, as its role is in AWS.
	granted := testenv.Config(testenv.CallTimeout, testenv.Grants(t, "act", tables,
		map[string]string{topology.QueueEvents: r.eventsURL, topology.QueueCommands: r.commandsURL}))
	adb, asq := testenv.DynamoDB(t, granted), testenv.SQS(t, granted)
	actEvents := &store.Events{DB: adb, Table: tables["events"]}
	r.clients = &act.Clients{Credentials: &store.Credentials{DB: adb, Table: tables["credentials"]}, Connections: &store.Connections{DB: adb, Table: tables["connections"]},
		Sealer: secrets.Plaintext{}, Buckets: &store.Buckets{DB: adb, Table: tables["rate_limits"]},
		Providers: providers, Loopback: true, TTL: time.Minute, GetTTL: time.Minute, Clock: r.clock, Retry: retry}
	q := &queue.Events{SQS: asq, URL: r.eventsURL}
	logger := slog.New(slog.NewJSONHandler(r.logs, nil))
	r.act = &act.Handler{Events: actEvents, Queue: q, Actions: &store.Actions{DB: adb, Table: tables["actions"]}, Connections: r.clients,
		Runners: act.DefaultRunners(r.clients, actEvents, q, r.clock.Now, 30*24*time.Hour),
		Now:     r.clock.Now, Retention: 30 * 24 * time.Hour, Logger: logger}
	route := &commands.Route{Kinds: &commands.Kinds{Store: r.credentials, Now: r.clock.Now},
		Queue: &queue.Events{SQS: r.sqs, URL: r.commandsURL}}
	r.process = &process.Handler{Events: r.events, Now: r.clock.Now, Logger: logger, Steps: []process.Step{
		&reactions.Step{Events: r.events, Then: []reactions.ChildStep{route}, Now: r.clock.Now}, route,
	}}
	return r
}

// connect gives the tenant an active connection of kind with outbound credentials.
func (r *rig) connect(kind, id string, secret connectors.Secret) {
	r.t.Helper()
	if err := r.connections.Put(context.Background(), store.Connection{ID: id, TenantID: tenant, Kind: kind,
		Status: store.ConnectionActive, CreatedAt: t0}); err != nil {
		r.t.Fatal(err)
	}
	sealed, err := connectors.SealSecret(context.Background(), secrets.Plaintext{}, tenant, id, secret)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.credentials.Put(context.Background(), store.Credential{TenantID: tenant, ConnectionID: id, Kind: kind,
		Type: secret.Type(), Sealed: sealed, UpdatedAt: t0}); err != nil {
		r.t.Fatal(err)
	}
}

// store keeps an event as ingest or a reaction would and returns its envelope.
func (r *rig) store(id, typ, origin, data string) envelope.Envelope {
	r.t.Helper()
	env := envelope.Envelope{SpecVersion: envelope.SpecVersion, ID: id, Type: typ, Source: "wedsync/test", Time: t0,
		DataContentType: "application/json", TenantID: tenant, ConnectionID: "conn_source", Provider: "custom",
		CorrelationID: id, Origin: origin, EventVersion: envelope.Version, Data: json.RawMessage(data)}
	b, _ := json.Marshal(env)
	if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: id, TenantID: tenant, ConnectionID: env.ConnectionID,
		Type: typ, CorrelationID: id, Time: t0, Envelope: b, ReceivedAt: t0}); err != nil {
		r.t.Fatal(err)
	}
	return env
}

// message is the queue message of an event.
func message(msgID, eventID string) events.SQSMessage {
	return events.SQSMessage{MessageId: msgID, Body: `{"event_id":"` + eventID + `"}`}
}

// runAct hands act one batch.
func (r *rig) runAct(msgs ...events.SQSMessage) events.SQSEventResponse {
	r.t.Helper()
	resp, err := r.act.Handle(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

// drain receives every message of a queue and deletes it, returning the event ids.
func (r *rig) drain(url string) []string {
	r.t.Helper()
	var ids []string
	for {
		out, err := r.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return ids
		}
		for _, m := range out.Messages {
			id, err := queue.ParseEventMessage(aws.ToString(m.Body))
			if err != nil {
				r.t.Fatal(err)
			}
			ids = append(ids, id)
			_, _ = r.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// outcome loads the outcome event of a command, failing the test when there is none.
func (r *rig) outcome(commandID string) (envelope.Envelope, map[string]any) {
	r.t.Helper()
	id := envelope.EventID("act:"+tenant, commandID)
	ev, err := r.events.Get(context.Background(), id)
	if err != nil {
		r.t.Fatalf("outcome of %s: %v", commandID, err)
	}
	for _, v := range envelope.VersionNames() {
		rendered, err := envelope.Render(ev.Envelope, v)
		if err != nil {
			r.t.Fatal(err)
		}
		envelopetest.Validate(r.t, rendered)
	}
	var env envelope.Envelope
	var data map[string]any
	if err := json.Unmarshal(ev.Envelope, &env); err != nil {
		r.t.Fatal(err)
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		r.t.Fatal(err)
	}
	return env, data
}

// noOutcome fails the test when the command has an outcome.
func (r *rig) noOutcome(commandID string) {
	r.t.Helper()
	if _, err := r.events.Get(context.Background(), envelope.EventID("act:"+tenant, commandID)); err == nil {
		r.t.Fatalf("command %s has an outcome", commandID)
	}
}
