package reactions_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/reactions"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestProcessRunsReactionsOnce: processing a booking stores and queues its three children,
// outside the index of unprocessed events; a redelivery of the parent adds none, and the
// children trigger nothing themselves.
func TestProcessRunsReactionsOnce(t *testing.T) {
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	sq := testenv.SQS(t, cfg)
	url := testenv.Queue(t, sq, "events", 30*time.Second)
	evs := &store.Events{DB: db, Table: tables["events"]}
	clock := func() time.Time { return t0 }
	h := &process.Handler{Events: evs, Now: clock, Logger: slog.New(slog.DiscardHandler),
		Steps: []process.Step{&reactions.Step{Events: evs, Queue: &queue.Events{SQS: sq, URL: url}, Now: clock}}}
	ctx := context.Background()
	env := envelope.Envelope{SpecVersion: "1.0", ID: "evt_booking", Type: "booking.created", TenantID: "t", Provider: "custom",
		CorrelationID: "evt_booking", Origin: "provider", Time: t0, Data: json.RawMessage(`{"booking_id":"bk_1","attendee_email":"a@example.com"}`)}
	b, _ := json.Marshal(env)
	if _, _, err := evs.PutNew(ctx, store.Event{ID: env.ID, TenantID: "t", Type: env.Type, CorrelationID: env.ID, Time: t0, Envelope: b, ReceivedAt: t0}); err != nil {
		t.Fatal(err)
	}
	run := func(ids ...string) {
		batch := events.SQSEvent{}
		for i, id := range ids {
			batch.Records = append(batch.Records, events.SQSMessage{MessageId: "m" + string(rune('a'+i)), Body: `{"event_id":"` + id + `"}`})
		}
		resp, err := h.Handle(ctx, batch)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("process: %+v %v", resp, err)
		}
	}
	drain := func() []string {
		var ids []string
		for {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				return ids
			}
			for _, m := range out.Messages {
				id, err := queue.ParseEventMessage(aws.ToString(m.Body))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
		}
	}
	run("evt_booking")
	children := drain()
	if len(children) != 3 {
		t.Fatalf("%d children queued, want 3", len(children))
	}
	// The parent stayed unprocessed until its children were queued: they need no entry in
	// the index of unprocessed events (two index writes each).
	if pending, err := evs.ListUnprocessed(ctx, t0.Add(time.Hour), 10); err != nil || len(pending) != 0 {
		t.Fatalf("unprocessed events indexed once the parent is processed: %v %v", pending, err)
	}
	for _, id := range children {
		child, err := evs.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var ce envelope.Envelope
		_ = json.Unmarshal(child.Envelope, &ce)
		if ce.CausationID != "evt_booking" || ce.CorrelationID != "evt_booking" || ce.Origin != "reaction" {
			t.Fatalf("child %+v", ce)
		}
	}
	run(children...)
	if more := drain(); len(more) != 0 {
		t.Fatalf("children triggered %d more events", len(more))
	}
	// A redelivered parent (processed already) and one not yet marked: no new children.
	if err := evs.MarkProcessed(ctx, "evt_booking", t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	run("evt_booking")
	page, err := evs.ListByTenant(ctx, "t", store.EventFilter{}, "", 100)
	if err != nil || len(page.Items) != 4 {
		t.Fatalf("%d events stored, want the parent and 3 children (%v)", len(page.Items), err)
	}
}

// TestStepFaults: when storing or queueing a child fails, the parent's message fails and
// its redelivery completes the work, with each child stored once.
func TestStepFaults(t *testing.T) {
	for _, op := range []string{"PutItem", "SendMessage"} {
		t.Run(op, func(t *testing.T) {
			cfg := testenv.Config(testenv.CallTimeout)
			db := testenv.DynamoDB(t, cfg)
			tables := testenv.Tables(t, db)
			sq := testenv.SQS(t, cfg)
			url := testenv.Queue(t, sq, "events", 30*time.Second)
			rec := testenv.NewRecorder()
			fcfg := testenv.Config(testenv.FaultCallTimeout, rec.Middleware)
			evs := &store.Events{DB: db, Table: tables["events"]}
			step := &reactions.Step{Events: &store.Events{DB: testenv.DynamoDB(t, fcfg), Table: tables["events"]},
				Queue: &queue.Events{SQS: testenv.SQS(t, fcfg), URL: url}, Now: func() time.Time { return t0 }}
			h := &process.Handler{Events: evs, Steps: []process.Step{step}, Now: func() time.Time { return t0 }, Logger: slog.New(slog.DiscardHandler)}
			env := envelope.Envelope{ID: "evt_p", Type: "form.submitted", TenantID: "t", Origin: "provider", Time: t0, Data: json.RawMessage(`{"form_id":"f"}`)}
			b, _ := json.Marshal(env)
			if _, _, err := evs.PutNew(context.Background(), store.Event{ID: env.ID, TenantID: "t", Type: env.Type, CorrelationID: env.ID, Time: t0, Envelope: b, ReceivedAt: t0}); err != nil {
				t.Fatal(err)
			}
			batch := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"event_id":"evt_p"}`}}}
			rec.Inject(op, testenv.Fails)
			if resp, _ := h.Handle(context.Background(), batch); len(resp.BatchItemFailures) != 1 {
				t.Fatalf("a failing %s did not fail the message", op)
			}
			rec.Inject(op, 0)
			if resp, _ := h.Handle(context.Background(), batch); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("the redelivery failed: %+v", resp)
			}
			page, _ := evs.ListByTenant(context.Background(), "t", store.EventFilter{}, "", 10)
			if len(page.Items) != 2 {
				t.Fatalf("%d events, want the parent and one child", len(page.Items))
			}
		})
	}
}
