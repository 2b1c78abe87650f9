package reactions_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/reactions"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// recorder is a child step that records the children it saw.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) Name() string { return "record" }

func (r *recorder) Apply(_ context.Context, ev envelope.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, ev.ID)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// pipeline is process with reactions (children fanned out inline) and fan-out, on fresh
// tables and a fresh deliveries queue, one subscription to every type. The step's events
// and the fan-out's clients run mw.
type pipeline struct {
	t       *testing.T
	events  *store.Events
	sqs     *sqs.Client
	url     string
	sub     string
	record  *recorder
	process *process.Handler
}

func newPipeline(t *testing.T, mw ...func(*middleware.Stack) error) *pipeline {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	sq := testenv.SQS(t, cfg)
	fcfg := testenv.Config(testenv.CallTimeout, mw...)
	fdb, fsq := testenv.DynamoDB(t, fcfg), testenv.SQS(t, fcfg)
	p := &pipeline{t: t, sqs: sq, url: testenv.Queue(t, sq, "deliveries", 30*time.Second), sub: "sub_all", record: &recorder{},
		events: &store.Events{DB: db, Table: tables["events"]}}
	subs := &store.Subscriptions{DB: db, Table: tables["subscriptions"]}
	if err := subs.Create(context.Background(), store.Subscription{ID: p.sub, TenantID: "t", EndpointURL: "https://hooks.example.com/all",
		EventTypes: []string{"*"}, Active: true, Version: envelope.Version, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return t0 }
	fanout := &delivery.Fanout{Subscriptions: subs, Queue: &queue.Deliveries{SQS: fsq, URL: p.url}, Now: clock}
	step := &reactions.Step{Events: &store.Events{DB: fdb, Table: tables["events"]}, Then: []reactions.ChildStep{fanout, p.record}, Now: clock}
	p.process = &process.Handler{Events: p.events, Now: clock, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Steps: []process.Step{step, fanout}}
	return p
}

// parent stores a provider event of typ with data.
func (p *pipeline) parent(id, typ, data string) {
	p.t.Helper()
	env := envelope.Envelope{SpecVersion: "1.0", ID: id, Type: typ, TenantID: "t", Provider: "custom",
		CorrelationID: id, Origin: "provider", Time: t0, Data: json.RawMessage(data)}
	b, _ := json.Marshal(env)
	if _, _, err := p.events.PutNew(context.Background(), store.Event{ID: id, TenantID: "t", Type: typ, CorrelationID: id,
		Time: t0, Envelope: b, ReceivedAt: t0}); err != nil {
		p.t.Fatal(err)
	}
}

// run hands process one message of the event id and returns its failures.
func (p *pipeline) run(id string) []events.SQSBatchItemFailure {
	p.t.Helper()
	resp, err := p.process.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + id, Body: `{"event_id":"` + id + `"}`}}})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.BatchItemFailures
}

// queued takes every message off the deliveries queue and returns their delivery ids.
func (p *pipeline) queued() []string {
	p.t.Helper()
	var ids []string
	for {
		out, err := p.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.url), MaxNumberOfMessages: 10})
		if err != nil {
			p.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			slices.Sort(ids)
			return ids
		}
		for _, m := range out.Messages {
			id, err := queue.ParseDeliveryMessage(aws.ToString(m.Body))
			if err != nil {
				p.t.Fatal(err)
			}
			ids = append(ids, id)
			_, _ = p.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(p.url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// stored lists the tenant's events, oldest first by id.
func (p *pipeline) stored() []store.Event {
	p.t.Helper()
	page, err := p.events.ListByTenant(context.Background(), "t", store.EventFilter{}, "", 100)
	if err != nil {
		p.t.Fatal(err)
	}
	return page.Items
}

// TestChildrenProcessedInline: processing a booking stores its three children already
// processed (no queue message, no process run, no marker, outside the sweep index) and
// fans each out in the same run; the parent is marked processed last. A redelivery of the
// processed parent neither adds children nor runs their steps again (its own fan-out queues
// its delivery again, which deliver's lease dedupes); the children derive nothing
// themselves.
func TestChildrenProcessedInline(t *testing.T) {
	rec := testenv.NewRecorder()
	p := newPipeline(t, rec.Middleware)
	ctx := context.Background()
	p.parent("evt_booking", "booking.created", `{"booking_id":"bk_1","attendee_email":"a@example.com"}`)
	if f := p.run("evt_booking"); len(f) != 0 {
		t.Fatalf("process: %+v", f)
	}
	if calls := rec.Calls(); calls["SendMessage"] != 0 || calls["SendMessageBatch"] != 4 {
		t.Fatalf("calls %v; want no event queued, and each delivery queued by its own fan-out", calls)
	}
	children := p.record.ids()
	if len(children) != 3 {
		t.Fatalf("child steps ran for %v, want the 3 children", children)
	}
	for _, id := range children {
		child, err := p.events.Get(ctx, id)
		if err != nil || child.Status != store.StatusProcessed || !child.ProcessedAt.Equal(t0) {
			t.Fatalf("child %s: %q at %v, %v", id, child.Status, child.ProcessedAt, err)
		}
		var ce envelope.Envelope
		_ = json.Unmarshal(child.Envelope, &ce)
		if ce.CausationID != "evt_booking" || ce.CorrelationID != "evt_booking" || ce.Origin != "reaction" || len(reactions.Rules(ce)) != 0 {
			t.Fatalf("child %+v", ce)
		}
	}
	if parent, err := p.events.Get(ctx, "evt_booking"); err != nil || parent.Status != store.StatusProcessed {
		t.Fatalf("parent: %q %v", parent.Status, err)
	}
	if pending, err := p.events.ListUnprocessed(ctx, t0.Add(time.Hour), 10); err != nil || len(pending) != 0 {
		t.Fatalf("the sweep index holds %v %v", pending, err)
	}
	want := []string{delivery.DeliveryID("evt_booking", p.sub, 0)}
	for _, id := range children {
		want = append(want, delivery.DeliveryID(id, p.sub, 0))
	}
	slices.Sort(want)
	if got := p.queued(); !slices.Equal(got, want) {
		t.Fatalf("deliveries queued %v, want one for the parent and each child %v", got, want)
	}

	if f := p.run("evt_booking"); len(f) != 0 {
		t.Fatalf("redelivery: %+v", f)
	}
	if got := p.record.ids(); len(got) != 3 {
		t.Fatalf("a redelivered processed parent ran its children's steps again: %v", got)
	}
	// The parent's own fan-out runs again and queues its delivery again: deliver's lease makes
	// that copy do nothing once the first has leased it.
	if got := p.queued(); !slices.Equal(got, []string{delivery.DeliveryID("evt_booking", p.sub, 0)}) {
		t.Fatalf("a redelivery queued %v, want the parent's delivery alone", got)
	}
	if evs := p.stored(); len(evs) != 4 {
		t.Fatalf("%d events stored, want the parent and 3 children", len(evs))
	}
}

// TestChildrenAfterAFaultMidway: a run that fails after storing a child, before or while
// doing the child's steps, leaves the parent unprocessed; its redelivery applies the
// existing child's steps again and does the rest. Every event ends with its one delivery
// queued (deliver creates the record at its first lease), none queued twice, and the child
// whose put applied before the fault has its delivery queued by the second run.
func TestChildrenAfterAFaultMidway(t *testing.T) {
	for _, c := range []struct {
		op    string
		fault testenv.Fault
	}{
		{"PutItem", testenv.AppliedThenErrors},
		{"SendMessageBatch", testenv.Fails},
	} {
		t.Run(c.op+"/"+c.fault.String(), func(t *testing.T) {
			rec := testenv.NewRecorder()
			p := newPipeline(t, rec.Middleware)
			p.parent("evt_booking", "booking.created", `{"booking_id":"bk_1","attendee_email":"a@example.com"}`)
			rec.Inject(c.op, c.fault)
			if f := p.run("evt_booking"); len(f) != 1 {
				t.Fatalf("a failing %s did not fail the message", c.op)
			}
			first := p.queued()
			stored := p.stored()
			if len(stored) != 2 {
				t.Fatalf("after the fault %d events stored, want the parent and the first child", len(stored))
			}
			rec.Inject(c.op, 0)
			if f := p.run("evt_booking"); len(f) != 0 {
				t.Fatalf("the redelivery failed: %+v", f)
			}
			second := p.queued()
			all := append(slices.Clone(first), second...)
			slices.Sort(all)
			if len(slices.Compact(slices.Clone(all))) != len(all) {
				t.Fatalf("a delivery was queued twice: %v then %v", first, second)
			}
			var want []string
			for _, ev := range p.stored() {
				want = append(want, delivery.DeliveryID(ev.ID, p.sub, 0))
			}
			slices.Sort(want)
			if len(want) != 4 || !slices.Equal(all, want) {
				t.Fatalf("queued %v, want one delivery for the parent and each of 3 children %v", all, want)
			}
			if got := p.record.ids(); len(got) < 3 {
				t.Fatalf("child steps ran for %v", got)
			}
			if parent, err := p.events.Get(context.Background(), "evt_booking"); err != nil || parent.Status != store.StatusProcessed {
				t.Fatalf("parent: %q %v", parent.Status, err)
			}
		})
	}
}

// TestStepFaults: when storing a child fails, the parent's message fails and its
// redelivery completes the work, with each child stored once.
func TestStepFaults(t *testing.T) {
	rec := testenv.NewRecorder()
	p := newPipeline(t, rec.Middleware)
	p.parent("evt_p", "form.submitted", `{"form_id":"f"}`)
	rec.Inject("PutItem", testenv.Fails)
	if f := p.run("evt_p"); len(f) != 1 {
		t.Fatal("a failing PutItem did not fail the message")
	}
	rec.Inject("PutItem", 0)
	if f := p.run("evt_p"); len(f) != 0 {
		t.Fatalf("the redelivery failed: %+v", f)
	}
	if evs := p.stored(); len(evs) != 2 {
		t.Fatalf("%d events, want the parent and one child", len(evs))
	}
}

// TestGenerationsAreBounded: a rule that derives from what it derived stops the run with
// ErrTooDeep past MaxGenerations, after storing that many generations.
func TestGenerationsAreBounded(t *testing.T) {
	p := newPipeline(t)
	step := &reactions.Step{Events: p.events, Now: func() time.Time { return t0 },
		Derive: func(envelope.Envelope) []reactions.Derived {
			return []reactions.Derived{{Reaction: "again", Type: envelope.NotificationSend, Data: map[string]any{}}}
		}}
	p.parent("evt_loop", "form.submitted", `{}`)
	err := step.Apply(context.Background(), envelope.Envelope{ID: "evt_loop", Type: "form.submitted", TenantID: "t", Time: t0})
	if !errors.Is(err, reactions.ErrTooDeep) {
		t.Fatalf("a rule feeding itself: %v, want ErrTooDeep", err)
	}
	if evs := p.stored(); len(evs) != 1+reactions.MaxGenerations {
		t.Fatalf("%d events stored, want the parent and %d generations", len(evs), reactions.MaxGenerations)
	}
}

// testWriter sends process's logs to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }
