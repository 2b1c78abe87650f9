package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// idsInShard returns n ids of prefix that the store puts in one shard of shards.
func idsInShard(prefix string, shard, shards, n int) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("%s%05d", prefix, i)
		h := fnv.New32a()
		h.Write([]byte(id))
		if int(h.Sum32()%uint32(shards)) == shard {
			ids = append(ids, id)
		}
	}
	return ids
}

// dueRecords stores live deliveries of a subscription that does not exist (deliver can do
// nothing with them), due at at, at+1ms, … in the order of ids.
func (r *rig) dueRecords(ids []string, at time.Time) {
	r.t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 8)
	for i, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			next := at.Add(time.Duration(i) * time.Millisecond)
			_, errs[i] = r.deliveries.Create(context.Background(), store.Delivery{ID: id, TenantID: tenant, SubscriptionID: "sub_gone",
				EventID: "evt_gone", Status: store.DeliveryRetrying, NextAttemptAt: next, CreatedAt: next})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

// queued counts the keys on a queue by id, taking the messages off it.
func (r *rig) queued(url, field string) map[string]int {
	r.t.Helper()
	counts := map[string]int{}
	for _, m := range r.receive(url) {
		var body map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &body); err != nil {
			r.t.Fatal(err)
		}
		counts[body[field]]++
	}
	return counts
}

func (r *rig) tick() {
	r.t.Helper()
	if err := r.scheduler.Handle(context.Background(), schedulerTick()); err != nil {
		r.t.Fatal(err)
	}
}

// TestDueSweepPagesPastStuckHead: more than a page of due deliveries that nothing takes off
// the head of their shard do not hide the due delivery behind them.
func TestDueSweepPagesPastStuckHead(t *testing.T) {
	r := newRig(t)
	start := r.clock.Now()
	ids := idsInShard("dlv_stuck", 1, store.DueShards, 300)
	r.dueRecords(ids, start.Add(-time.Hour))
	behind := idsInShard("dlv_behind", 1, store.DueShards, 1)[0]
	r.dueRecords([]string{behind}, start.Add(-10*time.Minute))
	r.tick()
	got := r.queued(r.deliveriesURL, "delivery_id")
	if got[behind] != 1 {
		t.Fatalf("the delivery behind %d stuck ones was not queued (%d queued)", len(ids), len(got))
	}
	if len(got) != len(ids)+1 {
		t.Fatalf("queued %d deliveries, want all %d due", len(got), len(ids)+1)
	}
}

// TestStuckSweepBacksOff: events queued but never processed (a backlog) are queued again
// with waits that double, not at every tick: over an hour of ticks each is queued again at
// most five times (main's sweep: at every tick from the third on). An event processed
// meanwhile is not queued again, and leaves the index when the sweep next finds it.
func TestStuckSweepBacksOff(t *testing.T) {
	r := newRig(t)
	start := r.clock.Now()
	var ids []string
	for i := range 30 {
		id := fmt.Sprintf("evt_backlog_%02d", i)
		env := envelope.Envelope{SpecVersion: "1.0", ID: id, Type: "booking.created", TenantID: tenant, Provider: "custom",
			CorrelationID: id, Time: start, EventVersion: envelope.Version, Data: json.RawMessage(`{}`)}
		b, _ := json.Marshal(env)
		if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: id, TenantID: tenant, Type: env.Type,
			CorrelationID: id, Time: start, Envelope: b, ReceivedAt: start}); err != nil {
			t.Fatal(err)
		}
		if err := r.events.EnterSweep(context.Background(), id, start); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	processed := ids[0]
	total, late := map[string]int{}, 0
	for minute := 1; minute <= 60; minute++ {
		r.clock.Advance(time.Minute)
		r.tick()
		got := r.queued(r.eventsURL, "event_id")
		for id, n := range got {
			total[id] += n
		}
		if minute > 10 {
			late += got[processed]
		}
		if minute == 10 {
			if err := r.events.MarkProcessed(context.Background(), processed, r.clock.Now(), time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range ids {
		if n := total[id]; n < 1 || n > 5 {
			t.Fatalf("over 60 ticks %s was queued again %d times, want 1 to 5 (all: %v)", id, n, total)
		}
	}
	if late > 0 {
		t.Fatalf("an event processed at minute 10 was queued again %d times after", late)
	}
	if left, err := r.events.ListUnprocessed(context.Background(), r.clock.Now().Add(24*time.Hour), 100); err != nil || slices.Contains(left, processed) || len(left) != len(ids)-1 {
		t.Fatalf("the sweep index holds %d events (the processed one: %v), want the %d others; %v", len(left), slices.Contains(left, processed), len(ids)-1, err)
	}
}

// TestDueSweepHoldsDuringABacklog: while the deliveries queue has a visible backlog of
// BacklogLimit messages or more, the due sweep queues nothing (the waiting messages carry
// the due records; more would deepen the backlog at every tick); below it, due records are
// queued; an unreadable backlog does not stop the sweep.
func TestDueSweepHoldsDuringABacklog(t *testing.T) {
	r := newRig(t)
	var waiting backlogFunc
	r.scheduler.Backlog, r.scheduler.BacklogLimit = &waiting, 3
	ids := idsInShard("dlv_backlog", 2, store.DueShards, 5)
	r.dueRecords(ids, r.clock.Now().Add(-time.Hour))
	waiting = func() (int, error) { return 3, nil }
	r.tick()
	if got := r.queued(r.deliveriesURL, "delivery_id"); len(got) != 0 {
		t.Fatalf("a tick during a backlog queued %d deliveries", len(got))
	}
	waiting = func() (int, error) { return 2, nil }
	r.clock.Advance(time.Minute)
	r.tick()
	if got := r.queued(r.deliveriesURL, "delivery_id"); len(got) != len(ids) {
		t.Fatalf("below the limit a tick queued %d deliveries, want %d", len(got), len(ids))
	}
	waiting = func() (int, error) { return 0, errors.New("throttled") }
	r.clock.Advance(time.Minute)
	r.tick()
	if got := r.queued(r.deliveriesURL, "delivery_id"); len(got) != len(ids) {
		t.Fatalf("with the backlog unknown a tick queued %d deliveries, want %d", len(got), len(ids))
	}
}

// backlogFunc reports a backlog the test sets.
type backlogFunc func() (int, error)

func (f *backlogFunc) Visible(context.Context) (int, error) { return (*f)() }
