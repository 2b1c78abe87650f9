package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// newDelivery is a delivery as fan-out's message describes it.
func newDelivery(id string) store.Delivery {
	return store.Delivery{ID: id, TenantID: "t1", SubscriptionID: "sub_1", EventID: "evt_1", EventType: "booking.created",
		MessageID: "msg_1", CreatedAt: t0, ExpiresAt: t0.Add(30 * 24 * time.Hour)}
}

// TestCreateOrLeaseWritesTheIndexesOnce: the first lease creates the record (pending, no
// attempt) in one write with its subscription index entry and no due entry; a retry puts it
// in the due index; a later lease of it by the same kind of message rewrites no index and
// keeps the fields of its creation; delivering it takes it off the due index.
func TestCreateOrLeaseWritesTheIndexesOnce(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout, awsenv.CallStats(&buf, "test", 1)))
	deliveries := &store.Deliveries{DB: db, Table: testenv.Tables(t, db)["deliveries"]}
	d := newDelivery("dlv_new")
	buf.Reset()
	leased, err := deliveries.CreateOrLease(ctx, d, "a", t0, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if leased.Status != store.DeliveryPending || leased.LeaseOwner != "a" || len(leased.Attempts) != 0 || !leased.NextAttemptAt.IsZero() ||
		leased.MessageID != "msg_1" || !leased.CreatedAt.Equal(t0) || !leased.ExpiresAt.Equal(d.ExpiresAt) {
		t.Fatalf("created and leased: %+v", leased)
	}
	if _, err := deliveries.CreateOrLease(ctx, d, "b", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("a second copy while leased: %v, want ErrLeased", err)
	}
	retry := t0.Add(time.Hour)
	if _, err := deliveries.Release(ctx, leased, "a", store.Outcome{Status: store.DeliveryRetrying, NextAttemptAt: retry,
		Attempt: &store.Attempt{Number: 1, At: t0, StatusCode: 500}, At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := deliveries.CreateOrLease(ctx, d, "c", t0.Add(time.Second), t0.Add(time.Minute)); !errors.Is(err, store.ErrNotDue) {
		t.Fatalf("a copy before the retry is due: %v, want ErrNotDue", err)
	}
	later := newDelivery("dlv_new")
	later.CreatedAt = t0.Add(time.Hour)
	again, err := deliveries.CreateOrLease(ctx, later, "c", retry, retry.Add(time.Minute))
	if err != nil || again.LeaseOwner != "c" || !again.CreatedAt.Equal(t0) || again.AttemptCount != 1 || again.Status != store.DeliveryRetrying {
		t.Fatalf("a copy once the retry is due: %+v %v", again, err)
	}
	if _, err := deliveries.Release(ctx, again, "c", store.Outcome{Status: store.DeliveryDelivered,
		Attempt: &store.Attempt{Number: 2, At: retry, StatusCode: 200}, At: retry}); err != nil {
		t.Fatal(err)
	}
	if _, err := deliveries.CreateOrLease(ctx, d, "e", retry.Add(time.Hour), retry.Add(2*time.Hour)); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("a copy once delivered: %v, want ErrLeased", err)
	}
	got := capacities(t, &buf)
	want := []map[string]float64{
		{"": 1, store.IndexBySubscription: 1}, // created and leased
		{},                                    // refused: leased (DynamoDB Local reports no units)
		{"": 1, store.IndexDue: 1},            // released, due in an hour
		{},                                    // refused: not due
		{"": 1},                               // leased again: no index rewritten
		{"": 1, store.IndexDue: 1},            // delivered: off the due index
		{},                                    // refused: delivered
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("units per index:\n got %v\nwant %v", got, want)
	}
	page, err := deliveries.ListBySubscription(ctx, "sub_1", "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != d.ID {
		t.Fatalf("listed by subscription: %+v %v", page.Items, err)
	}
}

// TestLeaseWhoseAnswerWasLostIsTheOwners: when the write of a lease is applied but its
// answer lost, the SDK's next try finds the record leased — by the same owner, whose lease
// it is: a new delivery is not left leased by nobody, out of every index that would find it.
func TestLeaseWhoseAnswerWasLostIsTheOwners(t *testing.T) {
	ctx := context.Background()
	rec := testenv.NewRecorder()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout, rec.Middleware))
	deliveries := &store.Deliveries{DB: db, Table: testenv.Tables(t, db)["deliveries"]}
	rec.InjectAttempts("UpdateItem", testenv.AppliedThenErrors, 1)
	leased, err := deliveries.CreateOrLease(ctx, newDelivery("dlv_lost_answer"), "a", t0, t0.Add(time.Minute))
	if err != nil || leased.LeaseOwner != "a" || leased.Status != store.DeliveryPending {
		t.Fatalf("a lease whose first answer was lost: %+v %v", leased, err)
	}
	if _, err := deliveries.Release(ctx, leased, "a", store.Outcome{Status: store.DeliveryDelivered, At: t0}); err != nil {
		t.Fatalf("its release: %v", err)
	}
	createDelivery(t, deliveries, store.Delivery{ID: "dlv_lost_retry", Status: store.DeliveryRetrying, NextAttemptAt: t0})
	rec.InjectAttempts("UpdateItem", testenv.AppliedThenErrors, 1)
	if leased, err := deliveries.Lease(ctx, "dlv_lost_retry", "b", t0, t0.Add(time.Minute)); err != nil || leased.LeaseOwner != "b" {
		t.Fatalf("a lease of a key alone whose first answer was lost: %+v %v", leased, err)
	}
	if _, err := deliveries.Lease(ctx, "dlv_lost_retry", "c", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("another owner: %v, want ErrLeased", err)
	}
}
