package delivery_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
)

// TestAttemptCutShortByTheInvocationKeepsHealth: an attempt the invocation's own deadline
// ends (here: the invocation is cancelled while the endpoint holds the request) is logged as
// cut short and retried, and the endpoint's health is untouched; the same endpoint timing
// out on the attempt's own timeout is counted as a failure.
func TestAttemptCutShortByTheInvocationKeepsHealth(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.ReadAll(req.Body)
		cancel()
		<-req.Context().Done()
	}))
	t.Cleanup(hook.Close)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_cut_short", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	if _, err := r.deliver.Handle(ctx, r.messages(id)); err != nil {
		t.Fatal(err)
	}
	d := r.delivery(id)
	if len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Error, "cut short") || d.Status != store.DeliveryRetrying || !d.Live() {
		t.Fatalf("the cut-short delivery: %+v", d)
	}
	if s := r.subscription(sub.ID); s.ConsecutiveFailures != 0 || s.FailingSinceMS != 0 {
		t.Fatalf("a cut-short attempt counted against the endpoint: %+v", s)
	}

	slow := newSubscriber(t, 0)
	slowSub, _ := r.subscribe(slow.URL, []string{"*"})
	r.deliver.Timeout = 100 * time.Millisecond
	other := r.event("evt_slow_endpoint", "booking.created")
	slowID := delivery.DeliveryID(other.ID, slowSub.ID, 0)
	r.deliverNow(slowID)
	if d := r.delivery(slowID); len(d.Attempts) != 1 || d.Attempts[0].Error != "timeout" {
		t.Fatalf("the slow endpoint's delivery: %+v", d.Attempts)
	}
	if s := r.subscription(slowSub.ID); s.ConsecutiveFailures != 1 || s.FailingSinceMS == 0 {
		t.Fatalf("a timeout of the endpoint was not counted: %+v", s)
	}
}
