package act_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// call is one request a recording proxy passed on.
type call struct {
	method, path, key string
	form              url.Values
}

// recorder is a loopback proxy in front of stripe-mock (which neither dedupes nor logs):
// it records each request, and can hold POSTs until released.
type recorder struct {
	mu    sync.Mutex
	calls []call
	hold  chan struct{}
}

func newRecorder(t *testing.T, target string) (*recorder, string) {
	t.Helper()
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		rec.mu.Lock()
		rec.calls = append(rec.calls, call{method: r.Method, path: r.URL.Path, key: r.Header.Get("idempotency-key"), form: r.PostForm})
		hold := rec.hold
		rec.mu.Unlock()
		if hold != nil && r.Method == http.MethodPost {
			select {
			case <-hold:
			case <-time.After(10 * time.Second):
			}
		}
		r.Body = http.NoBody
		r.ContentLength = 0
		if len(r.PostForm) > 0 {
			body := r.PostForm.Encode()
			r.Body, r.ContentLength = nopCloser{strings.NewReader(body)}, int64(len(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func (rec *recorder) posts(path string) []call {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []call
	for _, c := range rec.calls {
		if c.method == http.MethodPost && c.path == path {
			out = append(out, c)
		}
	}
	return out
}

// TestBookingCancelledRefundsOnce (acceptance 1): a booking.cancelled with a refund amount,
// delivered three times to process, derives one payment.refund, processed inline and routed
// to act once (the redeliveries find the parent processed); the command
// delivered three times to act (twice at once) makes one refund request on stripe-mock,
// with the command's id as its one idempotency key, and one command.succeeded.
func TestBookingCancelledRefundsOnce(t *testing.T) {
	rec, proxy := newRecorder(t, testenv.StripeMockEndpoint(t))
	r := newRig(t, map[string]string{"stripe": proxy})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_test_123"})
	ctx := context.Background()

	cancelled := r.store("evt_booking_cancelled", envelope.BookingCancelled, envelope.OriginProvider,
		`{"booking_id":"bk_1","refund_amount":5000,"currency":"GBP","payment_id":"pi_3OqRefundable"}`)
	for i := range 3 {
		if resp, err := r.process.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{message("m"+string(rune('0'+i)), cancelled.ID)}}); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("process: %v %v", resp, err)
		}
	}
	if queued := r.drain(r.eventsURL); len(queued) != 0 {
		t.Fatalf("children queued %v; they are processed inline", queued)
	}
	routed := r.drain(r.commandsURL)
	if len(routed) != 1 {
		t.Fatalf("commands queue got %v, want the refund command once", routed)
	}
	refundID := routed[0]
	if ev, err := r.events.Get(ctx, refundID); err != nil || ev.Type != envelope.PaymentRefund || ev.Status != store.StatusProcessed {
		t.Fatalf("the routed command %s: %s %s %v", refundID, ev.Type, ev.Status, err)
	}

	rec.mu.Lock()
	rec.hold = make(chan struct{})
	rec.mu.Unlock()
	answers := make(chan events.SQSEventResponse, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			resp := r.runAct(message("c"+string(rune('0'+i)), refundID))
			answers <- resp
		})
	}
	first := <-answers
	close(rec.hold)
	wg.Wait()
	second := <-answers
	if len(first.BatchItemFailures) != 1 || len(second.BatchItemFailures) != 0 {
		t.Fatalf("concurrent deliveries: %+v then %+v; want the copy that found the command running kept", first, second)
	}
	if resp := r.runAct(message("c-late", refundID)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("late delivery: %+v", resp)
	}

	refunds := rec.posts("/v1/refunds")
	if len(refunds) != 1 || refunds[0].key != refundID || refunds[0].form.Get("payment_intent") != "pi_3OqRefundable" ||
		refunds[0].form.Get("amount") != "5000" {
		t.Fatalf("refund requests %+v, want one for pi_3OqRefundable of 5000 with key %s", refunds, refundID)
	}
	out, data := r.outcome(refundID)
	result, _ := data["result"].(map[string]any)
	if out.Type != envelope.CommandSucceeded || out.CausationID != refundID || out.CorrelationID != cancelled.ID ||
		data["command_type"] != envelope.PaymentRefund || data["command_id"] != refundID || !strings.HasPrefix(result["refund_id"].(string), "re_") {
		t.Fatalf("outcome %+v %v", out, data)
	}
	if queued := r.drain(r.eventsURL); !slices.Equal(queued, []string{out.ID}) {
		t.Fatalf("events queue got %v, want the one outcome", queued)
	}
}

// TestRefundOfABookingsRecordedPayment: a command naming only the booking refunds the
// Stripe payment whose metadata records it (a search, then the refund).
func TestRefundOfABookingsRecordedPayment(t *testing.T) {
	rec, proxy := newRecorder(t, testenv.StripeMockEndpoint(t))
	r := newRig(t, map[string]string{"stripe": proxy})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_test_123"})
	cmd := r.store("evt_refund_by_booking", envelope.PaymentRefund, envelope.OriginReaction, `{"booking_id":"bk_7","refund_amount":1200}`)
	r.runAct(message("m1", cmd.ID))
	rec.mu.Lock()
	searched := len(rec.calls) > 0 && rec.calls[0].path == "/v1/payment_intents/search"
	rec.mu.Unlock()
	refunds := rec.posts("/v1/refunds")
	if !searched || len(refunds) != 1 || !strings.HasPrefix(refunds[0].form.Get("payment_intent"), "pi_") {
		t.Fatalf("calls %+v", rec.calls)
	}
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandSucceeded {
		t.Fatalf("outcome %v", data)
	}
}

// TestRefundFailures: a command without a payment, a payment that is not Stripe's, and
// Stripe's own refusal (a 4xx, its message kept, the key never shown) end failed without
// a retry.
func TestRefundFailures(t *testing.T) {
	rec, proxy := newRecorder(t, testenv.StripeMockEndpoint(t))
	r := newRig(t, map[string]string{"stripe": proxy})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_live_not_accepted_by_the_mock"})
	for _, tc := range []struct {
		id, data, reason string
	}{
		{"evt_no_payment", `{"refund_amount":100}`, "no Stripe payment to refund"},
		{"evt_no_amount", `{"payment_id":"pi_1"}`, "no positive refund_amount"},
		{"evt_paypal", `{"payment_id":"5TY05013RG002845M","refund_amount":100}`, "not a Stripe payment"},
		{"evt_refused", `{"payment_id":"pi_1","refund_amount":100}`, "Please authenticate"},
	} {
		cmd := r.store(tc.id, envelope.PaymentRefund, envelope.OriginReaction, tc.data)
		if resp := r.runAct(message("m-"+tc.id, cmd.ID)); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%s: %+v", tc.id, resp)
		}
		out, data := r.outcome(cmd.ID)
		reason, _ := data["reason"].(string)
		if out.Type != envelope.CommandFailed || !strings.Contains(reason, tc.reason) || strings.Contains(reason, "sk_live_not_accepted") {
			t.Errorf("%s: %s %q, want failed with %q", tc.id, out.Type, reason, tc.reason)
		}
	}
	if n := len(rec.posts("/v1/refunds")); n != 1 {
		t.Fatalf("%d refund requests, want only the refused one, once", n)
	}
}

// TestRefundServerErrorsRetriedThenFailed: Stripe failing with 500 is retried with the same
// key up to the limit, then the command ends failed with Stripe's message.
func TestRefundServerErrorsRetriedThenFailed(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		keys = append(keys, req.Header.Get("idempotency-key"))
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"type":"api_error","message":"An unknown error occurred"}}`))
	}))
	defer srv.Close()
	r := newRig(t, map[string]string{"stripe": srv.URL})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_test_123"})
	cmd := r.store("evt_refund_500", envelope.PaymentRefund, envelope.OriginReaction, `{"payment_id":"ch_1","refund_amount":100}`)
	r.runAct(message("m1", cmd.ID))
	out, data := r.outcome(cmd.ID)
	if out.Type != envelope.CommandFailed || data["reason"] != "An unknown error occurred" {
		t.Fatalf("outcome %s %v", out.Type, data)
	}
	if len(keys) != 4 || keys[0] != cmd.ID || keys[3] != cmd.ID {
		t.Fatalf("keys %v, want the command id on 4 tries", keys)
	}
}
