package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
)

// TestFastMarkTransitions: an endpoint is marked fast by its first quick 2xx, in the write
// that notes its health; while marked, its attempts claim no slot and a quick 2xx writes no
// health at all; a failure clears the mark in the failure's own write; an attempt that
// outlasts fastWithin clears it while still under way (the runs that start meanwhile claim
// slots again), and a management update clears it too. Writes are counted from what
// DynamoDB reports consumed.
func TestFastMarkTransitions(t *testing.T) {
	var buf bytes.Buffer
	r := newRig(t, awsenv.CallStats(&buf, "test", 1))
	r.deliver.Timeout = 2 * time.Second // fastWithin: 500 ms
	cleared := make(chan struct{}, 1)
	r.deliver.Subscriptions = signalledHealth{SubscriptionHealth: r.subs, cleared: cleared}
	var (
		mu     sync.Mutex
		answer = http.StatusOK
		slow   bool
		marked []bool // whether the endpoint was still marked fast when a slow attempt answered
	)
	var subID string
	hook := newSubscriber(t)
	hook.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		status, wait := answer, slow
		mu.Unlock()
		if wait {
			select {
			case <-cleared:
			case <-req.Context().Done():
			}
			sub, err := r.subs.Get(context.Background(), subID)
			mu.Lock()
			marked = append(marked, err != nil || sub.FastSinceMS != 0)
			mu.Unlock()
		}
		w.WriteHeader(status)
	})
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	subID = sub.ID
	step := 0
	deliver := func(status int, isSlow bool) (subWrites, slotWrites int) {
		t.Helper()
		mu.Lock()
		answer, slow = status, isSlow
		mu.Unlock()
		step++
		env := r.event(fmt.Sprintf("evt_fast_%02d", step), "booking.created")
		buf.Reset()
		r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
		if _, err := awsenv.ReadCallStats(&buf, func(s awsenv.CallStat) {
			if s.Capacity == nil || s.Capacity.Write == 0 {
				return
			}
			switch strings.SplitN(s.Table, "-", 2)[0] {
			case "subscriptions":
				subWrites++
			case "rate_limits":
				slotWrites++
			}
		}); err != nil {
			t.Fatal(err)
		}
		return subWrites, slotWrites
	}
	fast := func() bool { return r.subscription(sub.ID).FastSinceMS != 0 }
	for _, tc := range []struct {
		what             string
		status           int
		slow             bool
		subWrites, slots int
		fastAfter        bool
	}{
		{"first quick 2xx: slot claimed and freed, marked fast", 200, false, 1, 2, true},
		{"quick 2xx while marked: nothing written", 200, false, 0, 0, true},
		{"another: still nothing", 200, false, 0, 0, true},
		{"a failure: the mark goes in the failure's write", 500, false, 1, 0, false},
		{"quick 2xx after a failure: failure state cleared and marked in one write", 200, false, 1, 2, true},
		{"quick 2xx while marked and healthy: nothing", 200, false, 0, 0, true},
		{"slow 2xx: the mark cleared while the attempt is under way", 200, true, 1, 0, false},
		{"quick 2xx unmarked: marked again", 200, false, 1, 2, true},
	} {
		subWrites, slots := deliver(tc.status, tc.slow)
		if subWrites != tc.subWrites || slots != tc.slots || fast() != tc.fastAfter {
			t.Fatalf("%s: %d subscription writes, %d slot writes, fast %v; want %d, %d, %v",
				tc.what, subWrites, slots, fast(), tc.subWrites, tc.slots, tc.fastAfter)
		}
	}
	mu.Lock()
	if len(marked) != 1 || marked[0] {
		t.Fatalf("the slow attempt answered with the endpoint still marked fast: %v", marked)
	}
	mu.Unlock()
	current := r.subscription(sub.ID)
	current.Description = "renamed"
	if err := r.subs.Update(context.Background(), current); err != nil {
		t.Fatal(err)
	}
	if got := r.subscription(sub.ID); got.FastSinceMS != 0 || got.Description != "renamed" {
		t.Fatalf("after a management update: fast since %d", got.FastSinceMS)
	}
	if d := r.delivery(delivery.DeliveryID(fmt.Sprintf("evt_fast_%02d", 7), sub.ID, 0)); d.Status != store.DeliveryDelivered {
		t.Fatalf("the slow delivery: %s", d.Status)
	}
}

// signalledHealth tells when the fast mark was cleared (the write done).
type signalledHealth struct {
	delivery.SubscriptionHealth
	cleared chan struct{}
}

func (s signalledHealth) ClearFast(ctx context.Context, id string) error {
	err := s.SubscriptionHealth.ClearFast(ctx, id)
	select {
	case s.cleared <- struct{}{}:
	default:
	}
	return err
}
