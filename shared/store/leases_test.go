package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

func newDeliveries(t *testing.T) (*store.Deliveries, *store.RateLimits) {
	t.Helper()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	tables := testenv.Tables(t, db)
	return &store.Deliveries{DB: db, Table: tables["deliveries"]}, &store.RateLimits{DB: db, Table: tables["rate_limits"]}
}

func createDelivery(t *testing.T, deliveries *store.Deliveries, d store.Delivery) {
	t.Helper()
	if d.TenantID == "" {
		d.TenantID, d.SubscriptionID = "t1", "sub_1"
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = t0
	}
	if created, err := deliveries.Create(context.Background(), d); err != nil || !created {
		t.Fatalf("create %s: %v %v", d.ID, created, err)
	}
}

func TestLeaseRequiresADueLiveUnleasedDelivery(t *testing.T) {
	deliveries, _ := newDeliveries(t)
	ctx := context.Background()
	createDelivery(t, deliveries, store.Delivery{ID: "dlv_later", Status: store.DeliveryRetrying, NextAttemptAt: t0.Add(10 * time.Second)})
	createDelivery(t, deliveries, store.Delivery{ID: "dlv_done", Status: store.DeliveryDelivered})
	if _, err := deliveries.Lease(ctx, "dlv_later", "a", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotDue) {
		t.Fatalf("a lease 10 s early: %v, want ErrNotDue", err)
	}
	early := t0.Add(10*time.Second - store.LeaseGrace)
	d, err := deliveries.Lease(ctx, "dlv_later", "a", early, early.Add(time.Minute))
	if err != nil || d.LeaseOwner != "a" {
		t.Fatalf("a lease within the grace: %+v %v", d, err)
	}
	if _, err := deliveries.Lease(ctx, "dlv_later", "b", early, early.Add(time.Minute)); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("a second lease: %v, want ErrLeased", err)
	}
	if _, err := deliveries.Lease(ctx, "dlv_done", "b", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("a lease of a delivered delivery: %v, want ErrLeased", err)
	}
	if _, err := deliveries.Lease(ctx, "dlv_none", "b", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a lease of no delivery: %v, want ErrNotFound", err)
	}
}

func TestReleaseBoundsTheLogAndWritesTheRun(t *testing.T) {
	deliveries, _ := newDeliveries(t)
	ctx := context.Background()
	d := store.Delivery{ID: "dlv_log", Status: store.DeliveryRetrying, NextAttemptAt: t0, Reason: "old error", Faults: 2}
	for i := range 25 {
		d.Attempts = append(d.Attempts, store.Attempt{Number: i + 1, At: t0, StatusCode: 500})
	}
	createDelivery(t, deliveries, d)
	leased, err := deliveries.Lease(ctx, d.ID, "a", t0, t0.Add(time.Minute))
	if err != nil || leased.AttemptCount != 25 {
		t.Fatalf("lease: count %d, %v", leased.AttemptCount, err)
	}
	out := store.Outcome{Status: store.DeliveryRetrying, NextAttemptAt: t0.Add(time.Hour), Attempt: &store.Attempt{Number: 26, At: t0, StatusCode: 502}, At: t0}
	if _, err := deliveries.Release(ctx, leased, "a", out); err != nil {
		t.Fatal(err)
	}
	got, err := deliveries.Get(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attempts) != store.MaxAttemptLog || got.Attempts[0].Number != 7 || got.Attempts[store.MaxAttemptLog-1].Number != 26 ||
		got.AttemptCount != 26 || got.Reason != "" || got.Faults != 0 || got.LeaseOwner != "" || !got.NextAttemptAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("released: %d attempts from %d, count %d, reason %q, faults %d, owner %q, next %s",
			len(got.Attempts), got.Attempts[0].Number, got.AttemptCount, got.Reason, got.Faults, got.LeaseOwner, got.NextAttemptAt)
	}
	if _, err := deliveries.Release(ctx, leased, "a", out); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("a second release: %v, want ErrLeased", err)
	}
}

func TestReleaseKeepsARescheduleMadeDuringTheLease(t *testing.T) {
	for _, tc := range []struct {
		name, outcome, want string
	}{
		{"exhausted", store.DeliveryExhausted, store.DeliveryRetrying},
		{"failed", store.DeliveryFailed, store.DeliveryRetrying},
		{"delivered", store.DeliveryDelivered, store.DeliveryDelivered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deliveries, _ := newDeliveries(t)
			ctx := context.Background()
			createDelivery(t, deliveries, store.Delivery{ID: "dlv_r", Status: store.DeliveryRetrying, NextAttemptAt: t0})
			leased, err := deliveries.Lease(ctx, "dlv_r", "a", t0, t0.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			at := t0.Add(3 * time.Second)
			if err := deliveries.Reschedule(ctx, "t1", "dlv_r", at); err != nil {
				t.Fatal(err)
			}
			released, err := deliveries.Release(ctx, leased, "a", store.Outcome{Status: tc.outcome, Reason: "why",
				Attempt: &store.Attempt{Number: 1, At: t0, StatusCode: 500}, At: at})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := deliveries.Get(ctx, "dlv_r")
			if got.Status != tc.want || released.Status != tc.want || len(got.Attempts) != 1 || got.Reschedules != 1 {
				t.Fatalf("after a reschedule during the lease and a %s run: %s (%s returned), %d attempts, %d reschedules",
					tc.outcome, got.Status, released.Status, len(got.Attempts), got.Reschedules)
			}
			if tc.want == store.DeliveryRetrying && (!got.NextAttemptAt.Equal(at) || !released.NextAttemptAt.Equal(at)) {
				t.Fatalf("next attempt %s (%s returned), want the reschedule's %s", got.NextAttemptAt, released.NextAttemptAt, at)
			}
		})
	}
}

func TestReserveSpreadsABurst(t *testing.T) {
	_, limits := newDeliveries(t)
	ctx := context.Background()
	var got []time.Duration
	for range 5 {
		slot, err := limits.Reserve(ctx, "k", 2, t0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, slot.Sub(t0))
	}
	want := []time.Duration{0, 0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("slots of a burst of 5 at 2/s: %v, want %v", got, want)
		}
	}
	later := t0.Add(10 * time.Second)
	if slot, err := limits.Reserve(ctx, "k", 2, later); err != nil || !slot.Equal(later) {
		t.Fatalf("once the bucket refilled: %s %v, want now", slot, err)
	}
}

func TestSlotsCountAndLapse(t *testing.T) {
	_, limits := newDeliveries(t)
	ctx := context.Background()
	claim := func(now time.Time) bool {
		t.Helper()
		ok, err := limits.ClaimSlot(ctx, "s", 2, now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if first, second, third := claim(t0), claim(t0), claim(t0); !first || !second || third {
		t.Fatal("two slots should be claimed, not a third")
	}
	for range 3 {
		if err := limits.FreeSlot(ctx, "s"); err != nil {
			t.Fatal(err)
		}
	}
	if first, second, third := claim(t0), claim(t0), claim(t0); !first || !second || third {
		t.Fatal("freeing more than was claimed must not make room for more than the limit")
	}
	if !claim(t0.Add(2 * time.Minute)) {
		t.Fatal("slots whose claims lapsed should be reset")
	}
	if err := limits.FreeSlot(ctx, "never-claimed"); err != nil {
		t.Fatal(err)
	}
}
