package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestCopiesOfANewDeliveryPostOnce: fan-out writes no record; copies of its message (other
// SQS messages: a process run again) that come while the first copy's attempt is under way
// create nothing more, POST nothing and queue nothing: the first copy's message carries the
// delivery until its outcome is recorded.
func TestCopiesOfANewDeliveryPostOnce(t *testing.T) {
	r := newRig(t)
	arrived, others := make(chan struct{}), make(chan struct{})
	var (
		mu    sync.Mutex
		posts int
	)
	hook := newSubscriber(t)
	hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		posts++
		first := posts == 1
		mu.Unlock()
		if first {
			close(arrived)
			<-others
		}
		w.WriteHeader(http.StatusOK)
	})
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_copies", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	r.discard()
	if item := r.item("deliveries", id); item != nil {
		t.Fatalf("fan-out wrote the record: %v", item)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.deliverNow(id)
	}()
	<-arrived
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			copied := events.SQSEvent{Records: []events.SQSMessage{{MessageId: fmt.Sprintf("copy-%d", i), Body: r.sent.body(id)}}}
			resp, err := r.deliver.Handle(context.Background(), copied)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("a copy failed: %+v %v", resp.BatchItemFailures, err)
			}
		})
	}
	wg.Wait()
	close(others)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if posts != 1 {
		t.Fatalf("%d POSTs for one delivery", posts)
	}
	if d := r.delivery(id); d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 || d.EventID != env.ID || d.SubscriptionID != sub.ID {
		t.Fatalf("record %+v", d)
	}
	if n := r.waiting(); n != 0 {
		t.Fatalf("%d messages queued by the copies", n)
	}
}

// discard deletes every visible message of the deliveries queue (fan-out's, which a test
// delivers copies of itself).
func (r *rig) discard() {
	r.t.Helper()
	for _, m := range r.receive(r.deliveriesURL) {
		if _, err := r.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(r.deliveriesURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			r.t.Fatal(err)
		}
	}
}

// waiting counts the deliveries queue's messages, visible or delayed.
func (r *rig) waiting() int {
	r.t.Helper()
	out, err := r.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(r.deliveriesURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		r.t.Fatal(err)
	}
	n := 0
	for _, a := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"} {
		v, _ := strconv.Atoi(out.Attributes[a])
		n += v
	}
	return n
}

// TestRunCutOffAfterItsLease: a deliver runtime killed after it leased a new delivery leaves
// the record leased, pending and in no index; its message, received again while that lease
// holds, finds its own earlier receive's lease and queues a copy for when it lapses, which
// delivers once.
func TestRunCutOffAfterItsLease(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_cut_off", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	body := r.sent.body(id)
	r.discard()
	now := r.clock.Now()
	lease := 5*time.Second + 30*time.Second
	if _, err := r.deliveries.CreateOrLease(context.Background(), store.Delivery{ID: id, TenantID: tenant, SubscriptionID: sub.ID,
		EventID: env.ID, EventType: env.Type, MessageID: delivery.MessageID(env.ID, sub.ID), CreatedAt: now}, "msg-1/killed", now, now.Add(lease)); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(30 * time.Second)
	again := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "msg-1", Body: body}}}
	if resp, err := r.deliver.Handle(context.Background(), again); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the message received again: %+v %v", resp.BatchItemFailures, err)
	}
	if n := r.waiting(); n != 1 || len(hook.requests()) != 0 {
		t.Fatalf("while the cut-off lease holds: %d messages waiting, %d POSTs; want a copy waiting, none", n, len(hook.requests()))
	}
	r.clock.Advance(lease - 30*time.Second + time.Second)
	r.deliverNow(id)
	if d := r.delivery(id); len(hook.requests()) != 1 || d.Status != store.DeliveryDelivered {
		t.Fatalf("the copy once the lease lapsed: %d POSTs, %s", len(hook.requests()), d.Status)
	}
}

// TestProcessRunAgainPostsNothingNew: a process run repeated after the delivery was made
// queues its message again; the copy finds the delivery delivered and POSTs nothing.
func TestProcessRunAgainPostsNothingNew(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_rerun", "booking.created")
	if failed := r.pump(); len(failed) != 0 {
		t.Fatalf("batch failures %v", failed)
	}
	r.clock.Advance(time.Minute)
	if err := r.fanout.Apply(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if n := len(r.receive(r.deliveriesURL)); n != 1 {
		t.Fatalf("the run again queued %d messages, want 1", n)
	}
	r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
	if n := len(hook.requests()); n != 1 {
		t.Fatalf("%d POSTs after the process run again, want 1", n)
	}
	if d := r.delivery(delivery.DeliveryID(env.ID, sub.ID, 0)); d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 {
		t.Fatalf("record %s with %d attempts", d.Status, len(d.Attempts))
	}
}

// TestNewDeliveryCopyWaitsForTheNextAttempt: a copy of fan-out's message that comes after the
// delivery was pushed back — by a failed attempt or a hold — leases nothing before the next
// attempt is due, and the next attempt once it is.
func TestNewDeliveryCopyWaitsForTheNextAttempt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []int
		limit  int
		events int
	}{
		{"retry after a failure", []int{500, 200}, 0, 1},
		{"held by the rate limit", []int{200}, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			hook := newSubscriber(t, tc.script...)
			sub, _ := r.subscribe(hook.URL, []string{"*"}, func(s *store.Subscription) { s.RateLimit = tc.limit })
			var id string
			for i := range tc.events {
				env := r.event("evt_wait_"+string(rune('a'+i)), "booking.created")
				id = delivery.DeliveryID(env.ID, sub.ID, 0)
				r.deliverNow(id)
			}
			posts := len(hook.requests())
			d := r.delivery(id)
			wait := d.NextAttemptAt.Sub(r.clock.Now())
			if !d.Live() || wait <= store.LeaseGrace {
				t.Fatalf("pushed back: %s, next in %s", d.Status, wait)
			}
			r.clock.Advance(wait - store.LeaseGrace - time.Millisecond)
			r.deliverNow(id)
			if n := len(hook.requests()); n != posts {
				t.Fatalf("a copy %s before the next attempt POSTed", store.LeaseGrace)
			}
			r.clock.Advance(store.LeaseGrace + time.Millisecond)
			r.deliverNow(id)
			if n, d := len(hook.requests()), r.delivery(id); n != posts+1 || d.Status != store.DeliveryDelivered {
				t.Fatalf("once due: %d POSTs (want %d), %s", n, posts+1, d.Status)
			}
		})
	}
}

// TestNewDeliveryLeaseFaults: the write that creates and leases a new delivery fails past the
// SDK's tries: the message is left to SQS, nothing is stored or POSTed, and its next copy
// delivers once. When the write was applied but its answer lost, the run's lease is its
// own: it delivers once and no record is left leased by nobody.
func TestNewDeliveryLeaseFaults(t *testing.T) {
	t.Run("fails", func(t *testing.T) {
		rec := testenv.NewRecorder()
		r := newRig(t, rec.Middleware)
		hook := newSubscriber(t)
		sub, _ := r.subscribe(hook.URL, []string{"*"})
		env := r.event("evt_lease_fails", "booking.created")
		id := delivery.DeliveryID(env.ID, sub.ID, 0)
		rec.Inject("UpdateItem", testenv.Fails)
		if resp := r.deliverNow(id); len(resp.BatchItemFailures) != 1 {
			t.Fatalf("failures %+v, want the message left to SQS", resp.BatchItemFailures)
		}
		rec.Inject("UpdateItem", 0)
		if item := r.item("deliveries", id); item != nil || len(hook.requests()) != 0 {
			t.Fatalf("after a failed lease: record %v, %d POSTs", item, len(hook.requests()))
		}
		r.deliverNow(id)
		if d := r.delivery(id); len(hook.requests()) != 1 || d.Status != store.DeliveryDelivered {
			t.Fatalf("the next copy: %d POSTs, %s", len(hook.requests()), d.Status)
		}
	})
	t.Run("applied, answer lost", func(t *testing.T) {
		rec := testenv.NewRecorder()
		r := newRig(t, rec.Middleware)
		hook := newSubscriber(t)
		sub, _ := r.subscribe(hook.URL, []string{"*"})
		env := r.event("evt_lease_lost", "booking.created")
		id := delivery.DeliveryID(env.ID, sub.ID, 0)
		rec.InjectAttempts("UpdateItem", testenv.AppliedThenErrors, 1)
		if resp := r.deliverNow(id); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v", resp.BatchItemFailures)
		}
		item := r.item("deliveries", id)
		if d := r.delivery(id); len(hook.requests()) != 1 || d.Status != store.DeliveryDelivered || item["lease_owner"] != nil {
			t.Fatalf("%d POSTs, record %s, lease %v; want one POST, delivered, unleased", len(hook.requests()), d.Status, item["lease_owner"])
		}
	})
}
