package act_test

import (
	"context"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestOutcomeWriteFailsAfterARefund: when recording the outcome fails after Stripe refunded,
// the message comes back; the lease keeps a second copy out until it expires, then the rerun
// sends the same idempotency key (Stripe answers with the first refund) and records one
// outcome.
func TestOutcomeWriteFailsAfterARefund(t *testing.T) {
	rec, proxy := newRecorder(t, testenv.StripeMockEndpoint(t))
	r := newRig(t, map[string]string{"stripe": proxy})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_test_123"})
	cmd := r.store("evt_refund_fault", envelope.PaymentRefund, envelope.OriginReaction, `{"payment_id":"pi_1","refund_amount":700}`)

	faults := testenv.NewRecorder()
	faulty := testenv.DynamoDB(t, testenv.Config(testenv.FaultCallTimeout, faults.Middleware))
	r.act.Events = &store.Events{DB: faulty, Table: r.events.Table}
	faults.Inject("PutItem", testenv.Fails)
	if resp := r.runAct(message("m1", cmd.ID)); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a lost outcome was not reported: %+v", resp)
	}
	faults.Inject("PutItem", 0)
	r.noOutcome(cmd.ID)

	if resp := r.runAct(message("m2", cmd.ID)); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a second copy ran while the first held the lease: %+v", resp)
	}
	r.clock.Advance(5 * time.Minute)
	if resp := r.runAct(message("m3", cmd.ID)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("rerun: %+v", resp)
	}
	refunds := rec.posts("/v1/refunds")
	if len(refunds) != 2 || refunds[0].key != cmd.ID || refunds[1].key != cmd.ID {
		t.Fatalf("refund requests %+v, want two with the command's key", refunds)
	}
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandSucceeded {
		t.Fatalf("outcome %s %v", out.Type, data)
	}
	if queued := r.drain(r.eventsURL); len(queued) != 1 {
		t.Fatalf("queued %v, want the one outcome", queued)
	}
}

// TestUnqueuedOutcomeIsSwept: when queueing the outcome event fails after it is stored,
// the command's message comes back and the outcome enters the sweep index, so the
// scheduler queues it even if the command is never run again.
func TestUnqueuedOutcomeIsSwept(t *testing.T) {
	_, proxy := newRecorder(t, testenv.StripeMockEndpoint(t))
	r := newRig(t, map[string]string{"stripe": proxy})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_test_123"})
	cmd := r.store("evt_refund_unqueued", envelope.PaymentRefund, envelope.OriginReaction, `{"payment_id":"pi_1","refund_amount":700}`)

	faults := testenv.NewRecorder()
	r.act.Queue = &queue.Events{SQS: testenv.SQS(t, testenv.Config(testenv.FaultCallTimeout, faults.Middleware)), URL: r.eventsURL}
	faults.Inject("SendMessage", testenv.Fails)
	if resp := r.runAct(message("m1", cmd.ID)); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("an unqueued outcome was not reported: %+v", resp)
	}
	out, _ := r.outcome(cmd.ID)
	found, _, err := r.events.SweepUnprocessed(context.Background(), r.clock.Now().Add(time.Hour), 10, store.SweepCursor{})
	if err != nil || len(found) != 1 || found[0].ID != out.ID || found[0].Processed {
		t.Fatalf("the sweep index holds %+v %v, want the outcome %s unprocessed", found, err, out.ID)
	}
	if queued := r.drain(r.eventsURL); len(queued) != 0 {
		t.Fatalf("queued %v under the fault", queued)
	}
}
