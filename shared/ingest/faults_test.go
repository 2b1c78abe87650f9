package ingest_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestFaults: whatever goes wrong with an AWS call on the ingest path, the answer is 5xx or
// the event is queued — never a 2xx for an event that is not queued — and after the
// provider's retry exactly one processed event exists.
func TestFaults(t *testing.T) {
	for _, op := range []string{"GetItem", "Decrypt", "PutItem", "SendMessage"} {
		for _, fault := range []testenv.Fault{testenv.Fails, testenv.AppliedThenErrors, testenv.TimesOut} {
			t.Run(op+"/"+fault.String(), func(t *testing.T) {
				p := newPipeline(t, options{timeout: testenv.FaultCallTimeout})
				body := stripeFixture(t)
				req := request("POST", "stripe", "conn-stripe", stripeHeaders(body, stripeSecret, now), body)

				p.rec.Inject(op, fault)
				first := invoke(t, p.stripe, req)
				p.rec.Inject(op, 0)
				t.Logf("under the fault: %d %s; calls %v", first.status, first.body.Error.Code, p.rec.Calls())
				queued := p.drain()
				switch {
				case first.status >= 200 && first.status < 300:
					if len(queued) == 0 {
						t.Fatalf("answered %d but queued nothing", first.status)
					}
				case first.status >= 500:
					if first.body.Error.Code != "INTERNAL_ERROR" && first.body.Error.Code != "ENQUEUE_FAILED" {
						t.Fatalf("5xx with code %s", first.body.Error.Code)
					}
				default:
					t.Fatalf("a fault answered %d %s", first.status, first.raw)
				}

				retry := invoke(t, p.healthyStripe, req)
				if retry.status != 200 {
					t.Fatalf("the provider's retry got %d %s", retry.status, retry.raw)
				}
				p.processAll(append(queued, p.drain()...))
				evs := p.stored()
				if len(evs) != 1 || evs[0].Status != store.StatusProcessed {
					t.Fatalf("after the retry: %d events %+v, want one processed", len(evs), evs)
				}
			})
		}
	}
}

// TestCallBudget: with a warm connection cache a new event costs at most 2 AWS calls; a
// duplicate not yet processed 3 (the put, its processed marker's read, the send), a
// processed one 2 (no send); a cache miss adds the connection read and one KMS Decrypt.
func TestCallBudget(t *testing.T) {
	p := newPipeline(t, options{cacheTTL: time.Hour})
	warm := []byte(`{"type":"booking.created","data":{}}`)
	if a := invoke(t, p.custom, request("POST", "custom", "conn-custom", customHeaders(t, warm, customSecret, "m-warm", now), warm)); a.status != 200 {
		t.Fatalf("warm-up: %d %s", a.status, a.raw)
	}
	if got := p.rec.Total(); got != 4 {
		t.Fatalf("a cold connection cache cost %d calls, want 4: GetItem, Decrypt, PutItem, SendMessage (%v)", got, p.rec.Calls())
	}
	for i, msgID := range []string{"m-1", "m-2", "m-3"} {
		body := []byte(`{"type":"payment.received","data":{"amount":` + string(rune('1'+i)) + `}}`)
		req := request("POST", "custom", "conn-custom", customHeaders(t, body, customSecret, msgID, now), body)
		p.rec.Reset()
		if a := invoke(t, p.custom, req); a.status != 200 || a.body.Data.Duplicate {
			t.Fatalf("new event: %d %s", a.status, a.raw)
		}
		if got := p.rec.Total(); got > 2 {
			t.Fatalf("a new event cost %d AWS calls (%v), budget 2", got, p.rec.Calls())
		}
		p.rec.Reset()
		if a := invoke(t, p.custom, req); a.status != 200 || !a.body.Data.Duplicate {
			t.Fatalf("duplicate: %d %s", a.status, a.raw)
		}
		if got := p.rec.Calls(); got["PutItem"] != 1 || got["GetItem"] != 1 || got["SendMessage"] != 1 || p.rec.Total() != 3 {
			t.Fatalf("a duplicate of an unprocessed event made %v, want the put, the marker's read and the send", got)
		}
	}
	p.processAll(p.drain())
	p.rec.Reset()
	body := []byte(`{"type":"payment.received","data":{"amount":1}}`)
	if a := invoke(t, p.custom, request("POST", "custom", "conn-custom", customHeaders(t, body, customSecret, "m-1", now), body)); !a.body.Data.Duplicate {
		t.Fatalf("duplicate of a processed event: %s", a.raw)
	}
	if got := p.rec.Calls(); got["PutItem"] != 1 || got["GetItem"] != 1 || got["SendMessage"] != 0 || p.rec.Total() != 2 {
		t.Fatalf("a duplicate of a processed event made %v, want the put and the marker's read, no send", got)
	}
}

// TestUnqueuedEventIsSwept: when the send fails after the put, ingest answers 503
// ENQUEUE_FAILED (the provider retries) and enters the event in the sweep index; should the
// provider never retry, the scheduler queues the event once it is StuckAfter old and
// process processes it, after which the sweep takes it out of the index. A new event
// queued at once is never in the index.
func TestUnqueuedEventIsSwept(t *testing.T) {
	p := newPipeline(t, options{timeout: testenv.FaultCallTimeout})
	ctx := context.Background()
	queued := []byte(`{"type":"booking.created","data":{"booking_id":"bk_ok"}}`)
	if a := invoke(t, p.custom, request("POST", "custom", "conn-custom", customHeaders(t, queued, customSecret, "m-ok", p.clock.Now()), queued)); a.status != 200 {
		t.Fatalf("a queued event: %d %s", a.status, a.raw)
	}
	if ids, err := p.events.ListUnprocessed(ctx, p.clock.Now().Add(time.Hour), 10); err != nil || len(ids) != 0 {
		t.Fatalf("a queued event is in the sweep index: %v %v", ids, err)
	}
	p.processAll(p.drain())

	body := stripeFixture(t)
	p.rec.Inject("SendMessage", testenv.Fails)
	a := invoke(t, p.stripe, request("POST", "stripe", "conn-stripe", stripeHeaders(body, stripeSecret, p.clock.Now()), body))
	p.rec.Inject("SendMessage", 0)
	if a.status != 503 || a.body.Error.Code != "ENQUEUE_FAILED" {
		t.Fatalf("a failed send answered %d %s", a.status, a.raw)
	}
	if queued := p.drain(); len(queued) != 0 {
		t.Fatalf("a failed send queued %d messages", len(queued))
	}
	scheduler := &delivery.Scheduler{Events: p.events, EventsQueue: &queue.Events{SQS: p.sqs, URL: p.queueURL},
		Deliveries: emptyDue{}, DeliveriesQueue: &queue.Deliveries{SQS: p.sqs, URL: p.queueURL},
		Now: p.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	tick := func() []sqstypes.Message {
		t.Helper()
		if err := scheduler.Handle(ctx, events.EventBridgeEvent{}); err != nil {
			t.Fatal(err)
		}
		return p.drain()
	}
	if early := tick(); len(early) != 0 {
		t.Fatalf("the scheduler queued %d messages before the event was StuckAfter old", len(early))
	}
	p.clock.Advance(delivery.StuckAfter + time.Minute)
	swept := tick()
	if len(swept) != 1 {
		t.Fatalf("the scheduler queued %d messages, want the unqueued event", len(swept))
	}
	p.processAll(swept)
	stripeEvents := 0
	for _, ev := range p.stored() {
		if ev.Status != store.StatusProcessed {
			t.Fatalf("event %s (%s) is %s", ev.ID, ev.Type, ev.Status)
		}
		if ev.Type == envelope.PaymentReceived {
			stripeEvents++
		}
	}
	if stripeEvents != 1 {
		t.Fatalf("%d payment events stored, want 1", stripeEvents)
	}
	p.clock.Advance(delivery.SweepWait(1) + time.Minute)
	if again := tick(); len(again) != 0 {
		t.Fatalf("the processed event was queued again: %d messages", len(again))
	}
	if ids, err := p.events.ListUnprocessed(ctx, p.clock.Now().Add(time.Hour), 10); err != nil || len(ids) != 0 {
		t.Fatalf("the processed event is still in the sweep index: %v %v", ids, err)
	}
}

// emptyDue is a deliveries index with nothing due.
type emptyDue struct{}

func (emptyDue) ListDue(context.Context, time.Time, int, store.SweepCursor) ([]string, store.SweepCursor, error) {
	return nil, store.SweepCursor{}, nil
}
