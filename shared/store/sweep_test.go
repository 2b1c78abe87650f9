package store_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// shardOf is the shard the store puts id in.
func shardOf(id string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(shards))
}

// idsInShard returns n ids of prefix that all fall in shard.
func idsInShard(prefix string, shard, shards, n int) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		if id := fmt.Sprintf("%s%05d", prefix, i); shardOf(id, shards) == shard {
			ids = append(ids, id)
		}
	}
	return ids
}

// due stores live deliveries due at at, at+1ms, … in the order of ids.
func due(t *testing.T, d *store.Deliveries, ids []string, at time.Time) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 8)
	for i, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			next := at.Add(time.Duration(i) * time.Millisecond)
			_, errs[i] = d.Create(context.Background(), store.Delivery{ID: id, TenantID: "t1", SubscriptionID: "sub_1", Status: store.DeliveryRetrying,
				NextAttemptAt: next, CreatedAt: next})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestListDuePagesPastTheHead: more than two pages of due deliveries in one shard do not
// hide the one behind them, and what is not yet due is left alone.
func TestListDuePagesPastTheHead(t *testing.T) {
	d, _ := newDeliveries(t)
	head := idsInShard("dlv_head", 0, store.DueShards, 2*store.SweepPageSize+10)
	due(t, d, head, t0)
	due(t, d, []string{"dlv_behind"}, t0.Add(time.Minute))
	due(t, d, []string{"dlv_later"}, t0.Add(time.Hour))
	ids, _, err := d.ListDue(context.Background(), t0.Add(30*time.Minute), 1000, store.SweepCursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(head)+1 || !slices.Contains(ids, "dlv_behind") || slices.Contains(ids, "dlv_later") {
		t.Fatalf("listed %d ids (behind: %v, later: %v), want the %d due", len(ids),
			slices.Contains(ids, "dlv_behind"), slices.Contains(ids, "dlv_later"), len(head)+1)
	}
}

// TestListDueSharesTheBudget: a deep shard does not take the shallow shards' turn.
func TestListDueSharesTheBudget(t *testing.T) {
	d, _ := newDeliveries(t)
	deep := idsInShard("dlv_deep", 0, store.DueShards, 150)
	due(t, d, deep, t0)
	var shallow []string
	for shard := 1; shard < store.DueShards; shard++ {
		shallow = append(shallow, idsInShard(fmt.Sprintf("dlv_s%d_", shard), shard, store.DueShards, 5)...)
	}
	due(t, d, shallow, t0.Add(time.Minute))
	ids, _, err := d.ListDue(context.Background(), t0.Add(time.Hour), 100, store.SweepCursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 100 {
		t.Fatalf("listed %d, want the budget of 100", len(ids))
	}
	for _, id := range shallow {
		if !slices.Contains(ids, id) {
			t.Fatalf("the budget went to the deep shard; %s was left out", id)
		}
	}
}

// TestListDueCursorWrapsAround: with a budget smaller than what is due, successive sweeps
// go on where the last stopped and wrap to the head, so every due delivery comes up.
func TestListDueCursorWrapsAround(t *testing.T) {
	d, _ := newDeliveries(t)
	ids := idsInShard("dlv_wrap", 2, store.DueShards, 30)
	due(t, d, ids, t0)
	var cursor store.SweepCursor
	var got [][]string
	for range 4 {
		page, next, err := d.ListDue(context.Background(), t0.Add(time.Hour), 12, cursor)
		if err != nil {
			t.Fatal(err)
		}
		got, cursor = append(got, page), next
	}
	want := [][]string{ids[:12], ids[12:24], append(slices.Clone(ids[24:]), ids[:6]...), ids[6:18]}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("sweep %d listed %v, want %v", i+1, got[i], want[i])
		}
	}
}

// TestMoveSweep: moving an event's sweep time takes it out of the sweep until then; a stale
// move, or one of an event that left the index, changes nothing.
func TestMoveSweep(t *testing.T) {
	_, events := newStores(t)
	ctx := context.Background()
	for _, id := range []string{"evt_a", "evt_b"} {
		if _, _, err := events.PutNew(ctx, event(id, "t1", t0)); err != nil {
			t.Fatal(err)
		}
		if err := events.EnterSweep(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
	}
	found, _, err := events.SweepUnprocessed(ctx, t0.Add(time.Minute), 10, store.SweepCursor{})
	if err != nil || len(found) != 2 || !found[0].At.Equal(t0) || found[0].Sweeps != 0 {
		t.Fatalf("first sweep: %+v %v", found, err)
	}
	a := found[slices.IndexFunc(found, func(s store.Swept) bool { return s.ID == "evt_a" })]
	if moved, err := events.MoveSweep(ctx, a, t0.Add(time.Hour)); !moved || err != nil {
		t.Fatalf("move: %v %v", moved, err)
	}
	if moved, err := events.MoveSweep(ctx, a, t0.Add(2*time.Hour)); moved || err != nil {
		t.Fatalf("a stale move: %v %v", moved, err)
	}
	if err := events.LeaveSweep(ctx, store.Swept{ID: "evt_b", At: t0}); err != nil {
		t.Fatal(err)
	}
	if moved, err := events.MoveSweep(ctx, store.Swept{ID: "evt_b", At: t0}, t0.Add(time.Hour)); moved || err != nil {
		t.Fatalf("an event out of the index moved: %v %v", moved, err)
	}
	if ids, err := events.ListUnprocessed(ctx, t0.Add(time.Minute), 10); err != nil || len(ids) != 0 {
		t.Fatalf("before the new sweep time: %v %v", ids, err)
	}
	found, _, err = events.SweepUnprocessed(ctx, t0.Add(2*time.Hour), 10, store.SweepCursor{})
	if err != nil || len(found) != 1 || found[0].ID != "evt_a" || found[0].Sweeps != 1 || !found[0].At.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after the new sweep time: %+v %v", found, err)
	}
}
