package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

const tenant = "tenant-a"

// received is one request a subscriber got.
type received struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// subscriber is a loopback endpoint that answers each request with the next status of its
// script (the last one repeats).
type subscriber struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	script []int
	hang   chan struct{}
}

func newSubscriber(t *testing.T, script ...int) *subscriber {
	s := &subscriber{script: script, hang: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, received{Header: r.Header.Clone(), Body: body, At: time.Now()})
		status := 200
		if n := len(s.got); len(s.script) > 0 {
			status = s.script[min(n, len(s.script))-1]
		}
		s.mu.Unlock()
		if status == 0 {
			select {
			case <-s.hang:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(func() { close(s.hang); s.Close() })
	return s
}

func (s *subscriber) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// rig is fan-out, deliver and the scheduler on fresh tables, queues and a KMS key.
type rig struct {
	t             *testing.T
	clock         *testenv.Clock
	db            *dynamodb.Client
	tables        map[string]string
	sqs           *sqs.Client
	sealer        *secrets.Envelope
	events        *store.Events
	subs          *store.Subscriptions
	deliveries    *store.Deliveries
	eventsURL     string
	deliveriesURL string
	fanout        *delivery.Fanout
	sent          *sentQueue
	deliver       *delivery.Deliver
	scheduler     *delivery.Scheduler
	metrics       *bytes.Buffer
}

// newRig builds a rig whose AWS clients run mw (fault injection, call counting).
func newRig(t *testing.T, mw ...func(*middleware.Stack) error) *rig {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout, mw...)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	sq := testenv.SQS(t, cfg)
	k := testenv.KMS(t, cfg)
	r := &rig{t: t, clock: testenv.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)), db: db, tables: tables, sqs: sq,
		sealer:        &secrets.Envelope{Client: k, KeyID: testenv.KMSKey(t, k)},
		events:        &store.Events{DB: db, Table: tables["events"]},
		subs:          &store.Subscriptions{DB: db, Table: tables["subscriptions"]},
		deliveries:    &store.Deliveries{DB: db, Table: tables["deliveries"]},
		eventsURL:     testenv.Queue(t, sq, "events", 30*time.Second),
		deliveriesURL: testenv.Queue(t, sq, "deliveries", 30*time.Second),
	}
	dq := &queue.Deliveries{SQS: sq, URL: r.deliveriesURL}
	logger := slog.New(slog.DiscardHandler)
	r.sent = &sentQueue{Deliveries: dq, bodies: map[string]string{}}
	r.fanout = &delivery.Fanout{Subscriptions: r.subs, Queue: r.sent, Now: r.clock.Now}
	// Deliver and the scheduler run on clients held to their functions' grants, as their
	// roles are in AWS.
	queues := map[string]string{topology.QueueEvents: r.eventsURL, topology.QueueDeliveries: r.deliveriesURL}
	granted := func(function string) (*dynamodb.Client, *sqs.Client) {
		cfg := testenv.Config(testenv.CallTimeout, append(slices.Clone(mw), testenv.Grants(t, function, tables, queues))...)
		return testenv.DynamoDB(t, cfg), testenv.SQS(t, cfg)
	}
	ddb, dsq := granted("deliver")
	r.deliver = &delivery.Deliver{
		Deliveries: &store.Deliveries{DB: ddb, Table: tables["deliveries"]}, Subscriptions: &store.Subscriptions{DB: ddb, Table: tables["subscriptions"]},
		Events: &store.Events{DB: ddb, Table: tables["events"]}, EventsQueue: &queue.Events{SQS: dsq, URL: r.eventsURL},
		Queue:      &queue.Deliveries{SQS: dsq, URL: r.deliveriesURL},
		RateLimits: &store.RateLimits{DB: ddb, Table: tables["rate_limits"]}, Sealer: r.sealer,
		Client: ssrf.NewGuard(true).Client(5 * time.Second), Now: r.clock.Now, Timeout: 5 * time.Second,
		AllowLoopback: true, Logger: logger,
	}
	r.metrics = &bytes.Buffer{}
	r.deliver.Metrics = &metrics.Recorder{W: r.metrics, Now: r.clock.Now}
	sdb, ssq := granted("scheduler")
	schedulerEvents := &store.Events{DB: sdb, Table: tables["events"]}
	r.scheduler = &delivery.Scheduler{Events: schedulerEvents, EventsQueue: &queue.Events{SQS: ssq, URL: r.eventsURL},
		Deliveries: &store.Deliveries{DB: sdb, Table: tables["deliveries"]}, DeliveriesQueue: &queue.Deliveries{SQS: ssq, URL: r.deliveriesURL},
		Unqueued: schedulerEvents, Tenants: &store.Tenants{DB: sdb, Table: tables["tenants"]}, Now: r.clock.Now, Logger: logger}
	return r
}

// subscribe adds a subscription to url for types, with a fresh whsec_ secret.
func (r *rig) subscribe(url string, types []string, edit ...func(*store.Subscription)) (store.Subscription, string) {
	r.t.Helper()
	now := r.clock.Now()
	secret := "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	sub := store.Subscription{ID: "sub_" + testenv.UniqueName(r.t, "s")[2:], TenantID: tenant, EndpointURL: url, EventTypes: types,
		Active: true, Version: envelope.Version, CreatedAt: now, UpdatedAt: now}
	for _, e := range edit {
		e(&sub)
	}
	sealed, err := secrets.SealSet(context.Background(), r.sealer, secrets.Scope{TenantID: tenant, ResourceID: sub.ID}, secrets.Set{{Secret: secret}})
	if err != nil {
		r.t.Fatal(err)
	}
	sub.SealedSecrets = sealed
	if err := r.subs.Create(context.Background(), sub); err != nil {
		r.t.Fatal(err)
	}
	return sub, secret
}

// event stores an event of typ and fans it out.
func (r *rig) event(id, typ string) envelope.Envelope {
	r.t.Helper()
	now := r.clock.Now()
	env := envelope.Envelope{SpecVersion: "1.0", ID: id, Type: typ, Source: "wedsync/custom", Time: now, DataContentType: "application/json",
		TenantID: tenant, Provider: "custom", CorrelationID: id, Origin: envelope.OriginProvider, EventVersion: envelope.Version,
		Data: json.RawMessage(`{"booking_id":"bk_1"}`)}
	b, _ := json.Marshal(env)
	if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: id, TenantID: tenant, Type: typ, CorrelationID: id,
		Time: now, Envelope: b, ReceivedAt: now}); err != nil {
		r.t.Fatal(err)
	}
	if err := r.fanout.Apply(context.Background(), env); err != nil {
		r.t.Fatal(err)
	}
	return env
}

// receive takes every visible message of a queue.
func (r *rig) receive(url string) []sqstypes.Message {
	r.t.Helper()
	var all []sqstypes.Message
	for {
		out, err := r.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
}

// pump delivers every visible delivery message as one batch and deletes the ones the batch
// did not report failed, as the event source mapping does. It returns the failures.
func (r *rig) pump() []string {
	r.t.Helper()
	msgs := r.receive(r.deliveriesURL)
	if len(msgs) == 0 {
		return nil
	}
	batch := events.SQSEvent{}
	for _, m := range msgs {
		batch.Records = append(batch.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
	}
	resp, err := r.deliver.Handle(context.Background(), batch)
	if err != nil {
		r.t.Fatal(err)
	}
	failed := map[string]bool{}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
		ids = append(ids, f.ItemIdentifier)
	}
	for _, m := range msgs {
		if !failed[aws.ToString(m.MessageId)] {
			_, _ = r.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(r.deliveriesURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return ids
}

// deliverNow runs deliver on a copy of each delivery's message, as a redelivered or
// delayed message would arrive.
func (r *rig) deliverNow(ids ...string) events.SQSEventResponse {
	r.t.Helper()
	resp, err := r.deliver.Handle(context.Background(), r.messages(ids...))
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

// sentQueue queues fan-out's messages as the deliveries queue does and keeps each one's
// body, so a test can deliver a copy of it.
type sentQueue struct {
	*queue.Deliveries
	mu     sync.Mutex
	bodies map[string]string
}

func (q *sentQueue) EnqueueNew(ctx context.Context, msgs []queue.DeliveryMessage) error {
	q.mu.Lock()
	for _, m := range msgs {
		b, _ := json.Marshal(m)
		q.bodies[m.DeliveryID] = string(b)
	}
	q.mu.Unlock()
	return q.Deliveries.EnqueueNew(ctx, msgs)
}

func (q *sentQueue) body(id string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if b, ok := q.bodies[id]; ok {
		return b
	}
	return `{"delivery_id":"` + id + `"}`
}

// messages is a batch of one message per delivery: a copy of the one fan-out sent for it,
// else its key alone (as the scheduler and retries send).
func (r *rig) messages(ids ...string) events.SQSEvent {
	batch := events.SQSEvent{}
	for i, id := range ids {
		batch.Records = append(batch.Records, events.SQSMessage{MessageId: "m-" + id + "-" + string(rune('a'+i)), Body: r.sent.body(id)})
	}
	return batch
}

func (r *rig) delivery(id string) store.Delivery {
	r.t.Helper()
	d, err := r.deliveries.Get(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

func (r *rig) subscription(id string) store.Subscription {
	r.t.Helper()
	s, err := r.subs.Get(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// item reads the raw item of id in table, to check attributes the store's types do not show.
func (r *rig) item(table, id string) map[string]ddbtypes.AttributeValue {
	r.t.Helper()
	out, err := r.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(r.tables[table]),
		Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		r.t.Fatal(err)
	}
	return out.Item
}
