package delivery_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// verifyBoth checks a received request with the official Standard Webhooks library and
// with Svix's, for secret.
func verifyBoth(t *testing.T, secret string, got received) {
	t.Helper()
	std, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	// Both libraries check the timestamp against the wall clock, which the rig's clock follows here.
	if err := std.Verify(got.Body, got.Header); err != nil {
		t.Fatalf("standard-webhooks rejects the delivery: %v", err)
	}
	if err := sv.Verify(got.Body, got.Header); err != nil {
		t.Fatalf("svix rejects the delivery: %v", err)
	}
}

// TestSignedDeliveriesVerify: subscribers receive matching events, signed so that both
// libraries verify them, with both signatures during a rotation.
func TestSignedDeliveriesVerify(t *testing.T) {
	r := newRig(t)
	r.clock.Set(time.Now().UTC())
	hook := newSubscriber(t)
	other := newSubscriber(t)
	sub, secret := r.subscribe(hook.URL+"/hook", []string{"booking.*"}, func(s *store.Subscription) {
		s.Headers = map[string]string{"x-supplier": "lumiere"}
	})
	r.subscribe(other.URL, []string{"payment.received"})
	r.subscribe(hook.URL+"/inactive", []string{"*"}, func(s *store.Subscription) { s.Active = false })

	env := r.event("evt_signed_1", "booking.created")
	if failed := r.pump(); len(failed) != 0 {
		t.Fatalf("batch failures %v", failed)
	}
	got := hook.requests()
	if len(got) != 1 || len(other.requests()) != 0 {
		t.Fatalf("hook got %d, other got %d; want 1 and 0", len(got), len(other.requests()))
	}
	verifyBoth(t, secret, got[0])
	var body envelope.Envelope
	if err := json.Unmarshal(got[0].Body, &body); err != nil || body.ID != env.ID || body.Type != "booking.created" {
		t.Fatalf("delivered body %s", got[0].Body)
	}
	if got[0].Header.Get("webhook-id") != delivery.MessageID(env.ID, sub.ID) || got[0].Header.Get("x-supplier") != "lumiere" ||
		got[0].Header.Get("content-type") != "application/json" || !strings.HasPrefix(got[0].Header.Get("user-agent"), "WedSync-Webhooks/") {
		t.Fatalf("headers %v", got[0].Header)
	}
	d := r.delivery(delivery.DeliveryID(env.ID, sub.ID, 0))
	if d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 {
		t.Fatalf("record %+v", d)
	}
	if m := r.metrics.String(); !strings.Contains(m, `"DeliveriesSucceeded":1`) || !strings.Contains(m, `"DeliveryLatency"`) {
		t.Fatalf("metrics %s", m)
	}

	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a rotated secret of 32 bytes!!!!"))
	scope := secrets.Scope{TenantID: tenant, ResourceID: sub.ID}
	set, _ := secrets.OpenSet(context.Background(), r.sealer, scope, sub.SealedSecrets)
	sub.SealedSecrets, _ = secrets.SealSet(context.Background(), r.sealer, scope, set.Rotate(newSecret, r.clock.Now()))
	if err := r.subs.Update(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	r.event("evt_signed_2", "booking.updated")
	r.pump()
	got = hook.requests()
	if len(got) != 2 || len(strings.Fields(got[1].Header.Get("webhook-signature"))) != 2 {
		t.Fatalf("during the overlap a delivery should carry two signatures: %q", got[1].Header.Get("webhook-signature"))
	}
	verifyBoth(t, newSecret, got[1])
	verifyBoth(t, secret, got[1])
}

// TestLongWaitIsTheSchedulers: a wait past 900 s is held by the record alone; the
// scheduler queues the delivery when it is due.
func TestLongWaitIsTheSchedulers(t *testing.T) {
	r := newRig(t)
	r.deliver.Scale = 200
	hook := newSubscriber(t, 500, 200)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_long_wait", "booking.created")
	r.pump()
	d := r.delivery(delivery.DeliveryID(env.ID, sub.ID, 0))
	if d.Status != store.DeliveryRetrying || d.NextAttemptAt.Sub(r.clock.Now()) != 1000*time.Second {
		t.Fatalf("after a failure: status %s, next in %s; want retrying in 1000s", d.Status, d.NextAttemptAt.Sub(r.clock.Now()))
	}
	attrs, err := r.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(r.deliveriesURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		if attrs.Attributes[a] != "0" {
			t.Fatalf("while the record waits, the queue holds a message: %s = %s", a, attrs.Attributes[a])
		}
	}
	r.clock.Advance(900 * time.Second)
	if err := r.scheduler.Handle(context.Background(), schedulerTick()); err != nil {
		t.Fatal(err)
	}
	if n := len(r.receive(r.deliveriesURL)); n != 0 {
		t.Fatalf("the scheduler queued a delivery %d s early", 100)
	}
	r.clock.Advance(100*time.Second + delivery.DueGrace)
	if err := r.scheduler.Handle(context.Background(), schedulerTick()); err != nil {
		t.Fatal(err)
	}
	r.pump()
	if d := r.delivery(d.ID); d.Status != store.DeliveryDelivered || len(d.Attempts) != 2 || len(hook.requests()) != 2 {
		t.Fatalf("after the scheduler: %+v", d)
	}
}

// TestDisabling: 410 Gone disables at once; five days of failure (scaled with the retry
// schedule, as the local stack's load runs scale it) disable too.
func TestDisabling(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []int
		steps  int
		gap    time.Duration
		scale  float64
	}{
		{"410 Gone", []int{410}, 1, 0, 0},
		{"five days of failure", []int{500}, 6, 24 * time.Hour, 0},
		{"five scaled days of failure", []int{500}, 6, 100 * time.Second, 0.001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.deliver.Scale = tc.scale
			hook := newSubscriber(t, tc.script...)
			watcher := newSubscriber(t)
			sub, _ := r.subscribe(hook.URL, []string{"booking.*"}, func(s *store.Subscription) {
				s.RetryPolicy = &store.RetryPolicy{MaxAttempts: 10, BackoffStrategy: "linear", InitialDelaySeconds: 1}
			})
			watch, _ := r.subscribe(watcher.URL, []string{"subscription.disabled"})
			for i := range tc.steps {
				env := r.event("evt_dis_"+string(rune('a'+i)), "booking.created")
				r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
				if i < tc.steps-1 {
					if got := r.subscription(sub.ID); !got.Active {
						t.Fatalf("disabled after %d failures", i+1)
					}
				}
				r.clock.Advance(tc.gap)
			}
			got := r.subscription(sub.ID)
			if got.Active || got.DisabledReason == "" {
				t.Fatalf("subscription still active: %+v", got)
			}
			msgs := r.receive(r.eventsURL)
			if len(msgs) != 1 {
				t.Fatalf("subscription.disabled queued %d times", len(msgs))
			}
			var key struct {
				EventID string `json:"event_id"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &key)
			ev, err := r.events.Get(context.Background(), key.EventID)
			if err != nil || ev.Type != "subscription.disabled" || !strings.Contains(string(ev.Envelope), sub.ID) {
				t.Fatalf("emitted %+v %v", ev, err)
			}
			var env envelope.Envelope
			_ = json.Unmarshal(ev.Envelope, &env)
			if err := r.fanout.Apply(context.Background(), env); err != nil {
				t.Fatal(err)
			}
			r.pump()
			if len(watcher.requests()) != 1 {
				t.Fatalf("the watcher of subscription.disabled got %d deliveries", len(watcher.requests()))
			}
			_ = watch
			before := len(hook.requests())
			env2 := r.event("evt_after_disable", "booking.created")
			r.deliverNow(delivery.DeliveryID(env2.ID, sub.ID, 0))
			if len(hook.requests()) != before {
				t.Fatal("a disabled subscription was delivered to")
			}
		})
	}
}

// TestBreakerHoldsAFailingEndpoint: after five failures in a row, deliveries are held
// without a POST, and one probe goes through per interval.
func TestBreakerHoldsAFailingEndpoint(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t, 500, 500, 500, 500, 500, 200)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	var ids []string
	for i := range 8 {
		env := r.event("evt_brk_"+string(rune('a'+i)), "booking.created")
		ids = append(ids, delivery.DeliveryID(env.ID, sub.ID, 0))
	}
	for _, id := range ids[:5] {
		r.deliverNow(id)
	}
	if n := len(hook.requests()); n != 5 {
		t.Fatalf("%d POSTs, want 5", n)
	}
	r.deliverNow(ids[5])
	if n := len(hook.requests()); n != 5 {
		t.Fatalf("the open breaker let a delivery through (%d POSTs)", n)
	}
	if d := r.delivery(ids[5]); len(d.Attempts) != 0 || !d.Live() || !d.NextAttemptAt.After(r.clock.Now()) {
		t.Fatalf("a held delivery: %+v", d)
	}
	r.clock.Advance(delivery.ProbeInterval)
	r.deliverNow(ids[6], ids[7])
	if n := len(hook.requests()); n != 6 {
		t.Fatalf("after the probe interval %d POSTs, want exactly one probe (6)", n)
	}
	if s := r.subscription(sub.ID); s.ConsecutiveFailures != 0 || s.FailingSinceMS != 0 {
		t.Fatalf("a 2xx probe should close the breaker: %+v", s)
	}
}

// TestDialTimeRefusal: in production mode a loopback endpoint is refused when dialing, and
// plain http before it.
func TestDialTimeRefusal(t *testing.T) {
	r := newRig(t)
	r.deliver.AllowLoopback = false
	r.deliver.Client = ssrf.NewGuard(false).Client(5 * time.Second)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(strings.Replace(hook.URL, "http://", "https://", 1), []string{"*"})
	plain, _ := r.subscribe("http://hooks.example.com/x", []string{"*"})
	env := r.event("evt_ssrf", "booking.created")
	r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0), delivery.DeliveryID(env.ID, plain.ID, 0))
	if len(hook.requests()) != 0 {
		t.Fatal("a loopback endpoint was reached in production mode")
	}
	for _, id := range []string{sub.ID, plain.ID} {
		d := r.delivery(delivery.DeliveryID(env.ID, id, 0))
		if len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Error, "not allowed") || d.Attempts[0].StatusCode != 0 {
			t.Fatalf("attempt %+v", d.Attempts)
		}
	}
}

// TestConcurrentCopiesPostOnce: the same message delivered twice at once makes one POST.
func TestConcurrentCopiesPostOnce(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_twice", "booking.created")
	id := delivery.DeliveryID(env.ID, sub.ID, 0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { r.deliverNow(id) })
	}
	wg.Wait()
	if n := len(hook.requests()); n != 1 {
		t.Fatalf("%d POSTs for one delivery", n)
	}
}

// TestBatchWithAnUndeliverableDelivery: one delivery of a batch cannot be made (its event is
// gone); it ends failed with a reason, the batch reports no failure, and the others are
// delivered once.
func TestBatchWithAnUndeliverableDelivery(t *testing.T) {
	r := newRig(t)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	var ids []string
	for i := range 3 {
		env := r.event("evt_mid_"+string(rune('a'+i)), "booking.created")
		ids = append(ids, delivery.DeliveryID(env.ID, sub.ID, 0))
	}
	broken := store.Delivery{ID: "dlv_broken", TenantID: tenant, SubscriptionID: sub.ID, EventID: "evt_missing", MessageID: "msg_x",
		Status: store.DeliveryPending, NextAttemptAt: r.clock.Now(), CreatedAt: r.clock.Now()}
	if _, err := r.deliveries.Create(context.Background(), broken); err != nil {
		t.Fatal(err)
	}
	if resp := r.deliverNow(ids[0], "dlv_broken", ids[1], ids[2]); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	if d := r.delivery("dlv_broken"); d.Status != store.DeliveryFailed || !strings.Contains(d.Reason, "event") {
		t.Fatalf("the undeliverable delivery: %s, reason %q", d.Status, d.Reason)
	}
	if n := len(hook.requests()); n != 3 {
		t.Fatalf("%d POSTs, want 3", n)
	}
	r.deliverNow(append(ids, "dlv_broken")...)
	if n := len(hook.requests()); n != 3 {
		t.Fatalf("a redelivered batch POSTed again (%d)", n)
	}
}

// TestRetryAfterIsHonoured on 429 and 503.
func TestRetryAfterIsHonoured(t *testing.T) {
	r := newRig(t)
	hook := httpRetryAfter(t)
	sub, _ := r.subscribe(hook, []string{"*"})
	env := r.event("evt_429", "booking.created")
	r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
	d := r.delivery(delivery.DeliveryID(env.ID, sub.ID, 0))
	if wait := d.NextAttemptAt.Sub(r.clock.Now()); wait != 120*time.Second {
		t.Fatalf("next attempt in %s, want Retry-After's 120s", wait)
	}
}

func httpRetryAfter(t *testing.T) string {
	s := newSubscriber(t)
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("retry-after", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	return s.URL
}

// TestRateLimitAndTruncation: a subscription limited to one attempt a second gets the
// second delivery a second later; long response bodies are kept to 4 KiB.
func TestRateLimitAndTruncation(t *testing.T) {
	r := newRig(t)
	big := newSubscriber(t)
	big.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 10_000)))
	})
	sub, _ := r.subscribe(big.URL, []string{"*"}, func(s *store.Subscription) { s.RateLimit = 1 })
	a := r.event("evt_rl_a", "booking.created")
	b := r.event("evt_rl_b", "booking.created")
	r.deliverNow(delivery.DeliveryID(a.ID, sub.ID, 0))
	r.deliverNow(delivery.DeliveryID(b.ID, sub.ID, 0))
	first, second := r.delivery(delivery.DeliveryID(a.ID, sub.ID, 0)), r.delivery(delivery.DeliveryID(b.ID, sub.ID, 0))
	if first.Status != store.DeliveryDelivered || len(first.Attempts[0].Response) != delivery.MaxResponseBytes {
		t.Fatalf("first: %s, response kept %d bytes", first.Status, len(first.Attempts[0].Response))
	}
	if len(second.Attempts) != 0 || second.NextAttemptAt.Sub(r.clock.Now()) != time.Second {
		t.Fatalf("second within the same second: %d attempts, next in %s", len(second.Attempts), second.NextAttemptAt.Sub(r.clock.Now()))
	}
	r.clock.Advance(time.Second)
	r.deliverNow(second.ID)
	if d := r.delivery(second.ID); d.Status != store.DeliveryDelivered {
		t.Fatalf("second after a second: %s", d.Status)
	}
}

// TestHappyPathCalls counts the AWS calls of one delivered attempt to an endpoint known to
// be fast: the record created with its lease, subscription, event, release. The first
// delivery to the endpoint also claims and frees a slot and marks the endpoint fast; the
// secret set is opened (one KMS Decrypt) only by a cold container.
func TestHappyPathCalls(t *testing.T) {
	rec := testenv.NewRecorder()
	r := newRig(t, rec.Middleware)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	a, b := r.event("evt_calls_a", "booking.created"), r.event("evt_calls_b", "booking.created")
	rec.Reset()
	r.deliverNow(delivery.DeliveryID(a.ID, sub.ID, 0))
	cold := rec.Calls()
	rec.Reset()
	r.deliverNow(delivery.DeliveryID(b.ID, sub.ID, 0))
	warm := rec.Calls()
	if got, want := fmt.Sprint(warm), fmt.Sprint(map[string]int{"GetItem": 2, "UpdateItem": 2}); got != want {
		t.Fatalf("a warm delivery made %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(cold), fmt.Sprint(map[string]int{"Decrypt": 1, "GetItem": 2, "UpdateItem": 5}); got != want {
		t.Fatalf("a cold delivery made %s, want %s", got, want)
	}
	if len(hook.requests()) != 2 {
		t.Fatalf("%d POSTs, want 2", len(hook.requests()))
	}
}

// TestSecretCacheSeesRotation: opened secret sets are kept, so deliveries make no KMS call,
// yet the very next delivery after a rotation carries both signatures.
func TestSecretCacheSeesRotation(t *testing.T) {
	rec := testenv.NewRecorder()
	r := newRig(t, rec.Middleware)
	r.clock.Set(time.Now().UTC())
	hook := newSubscriber(t)
	sub, secret := r.subscribe(hook.URL, []string{"*"})
	rec.Reset()
	for _, id := range []string{"evt_cache_a", "evt_cache_b"} {
		env := r.event(id, "booking.created")
		r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
	}
	if n := rec.Calls()["Decrypt"]; n != 1 {
		t.Fatalf("two deliveries made %d KMS Decrypt calls, want 1", n)
	}
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another rotated secret, 32 bytes"))
	scope := secrets.Scope{TenantID: tenant, ResourceID: sub.ID}
	set, err := secrets.OpenSet(context.Background(), r.sealer, scope, sub.SealedSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if sub.SealedSecrets, err = secrets.SealSet(context.Background(), r.sealer, scope, set.Rotate(newSecret, r.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if err := r.subs.Update(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	rec.Reset()
	env := r.event("evt_cache_c", "booking.created")
	r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
	got := hook.requests()
	if len(got) != 3 || len(strings.Fields(got[2].Header.Get("webhook-signature"))) != 2 {
		t.Fatalf("the delivery right after a rotation should carry two signatures: %q", got[len(got)-1].Header.Get("webhook-signature"))
	}
	verifyBoth(t, newSecret, got[2])
	verifyBoth(t, secret, got[2])
	if n := rec.Calls()["Decrypt"]; n != 1 {
		t.Fatalf("the rotated set was opened with %d KMS calls, want 1", n)
	}
}

// TestWriteUnitsOfADelivery: with the indexes sized for cost, a delivery whose first attempt
// a fast endpoint answers 2xx costs three write units — created with its lease in one write
// (the item and its subscription index entry; the due index is for retries and holds) and
// released (the item alone). Fan-out writes no record, the endpoint's slots are not counted
// once it is known to be fast, and its health is not written again. Nothing else is written.
func TestWriteUnitsOfADelivery(t *testing.T) {
	var buf bytes.Buffer
	r := newRig(t, awsenv.CallStats(&buf, "test", 1))
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_units_seed", "booking.created")
	r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
	buf.Reset()
	env = r.event("evt_units", "booking.created")
	r.deliverNow(delivery.DeliveryID(env.ID, sub.ID, 0))
	var writes []string
	if _, err := awsenv.ReadCallStats(&buf, func(s awsenv.CallStat) {
		if s.Capacity == nil || s.Capacity.Write == 0 || s.Table == r.tables["events"] {
			return
		}
		ix := slices.Sorted(maps.Keys(s.Capacity.Indexes))
		writes = append(writes, fmt.Sprintf("%s %s %g %v", s.Op, strings.SplitN(s.Table, "-", 2)[0], s.Capacity.Write, ix))
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"UpdateItem deliveries 2 [by_subscription]",
		"UpdateItem deliveries 1 []",
	}
	if !slices.Equal(writes, want) {
		t.Fatalf("writes of a delivery:\n got %q\nwant %q", writes, want)
	}
}
