package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

func (e *env) queued(t *testing.T) int {
	t.Helper()
	sq := testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	total := 0
	for {
		out, err := sq.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.deliveriesQueue), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return total
		}
		total += len(out.Messages)
	}
}

func TestReplay(t *testing.T) {
	e := newEnv(t)
	var bookings, payments subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/b", "event_types": []string{"booking.*"}}, &bookings)
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/p", "event_types": []string{"payment.*"}}, &payments)
	env := `{"specversion":"1.0","id":"evt_replay","type":"booking.created","tenantid":"tenant-a","provider":"custom","data":{}}`
	if _, _, err := e.events.PutNew(context.Background(), store.Event{ID: "evt_replay", TenantID: "tenant-a", Type: "booking.created",
		CorrelationID: "evt_replay", Time: now, Envelope: []byte(env), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	var first, second, one struct {
		Replay     int      `json:"replay"`
		Deliveries []string `json:"deliveries"`
	}
	e.must(202, "POST", "/v1/events/evt_replay/replay", keyA, map[string]any{}, &first)
	e.must(202, "POST", "/v1/events/evt_replay/replay", keyA, map[string]any{}, &second)
	if first.Replay != 1 || second.Replay != 2 || len(first.Deliveries) != 1 || len(second.Deliveries) != 1 ||
		first.Deliveries[0] != delivery.DeliveryID("evt_replay", bookings.ID, 1) || first.Deliveries[0] == second.Deliveries[0] {
		t.Fatalf("replays %+v, %+v", first, second)
	}
	e.must(202, "POST", "/v1/events/evt_replay/replay", keyA, map[string]any{"subscription_id": payments.ID}, &one)
	if one.Replay != 3 || len(one.Deliveries) != 1 || one.Deliveries[0] != delivery.DeliveryID("evt_replay", payments.ID, 3) {
		t.Fatalf("replay to one subscription %+v", one)
	}
	var d struct {
		MessageID string `json:"message_id"`
	}
	e.must(200, "GET", "/v1/deliveries/"+first.Deliveries[0], keyA, nil, &d)
	if d.MessageID != delivery.MessageID("evt_replay", bookings.ID) {
		t.Fatalf("a replay changed the webhook-id: %s", d.MessageID)
	}
	if n := e.queued(t); n != 3 {
		t.Fatalf("%d deliveries queued, want 3", n)
	}
	if a := e.call("POST", "/v1/events/evt_replay/replay", keyB, map[string]any{}); a.status != http.StatusNotFound {
		t.Fatalf("tenant B replayed tenant A's event: %d", a.status)
	}
}

func TestRetryDelivery(t *testing.T) {
	e := newEnv(t)
	deliveries := &store.Deliveries{DB: e.db, Table: e.tables["deliveries"]}
	for id, status := range map[string]string{"dlv_exhausted": store.DeliveryExhausted, "dlv_done": store.DeliveryDelivered} {
		if _, err := deliveries.Create(context.Background(), store.Delivery{ID: id, TenantID: "tenant-a", SubscriptionID: "sub_x",
			EventID: "evt_x", MessageID: "msg_x", Status: status, CreatedAt: now.Add(-time.Hour),
			Attempts: []store.Attempt{{Number: 1, At: now.Add(-time.Hour), StatusCode: 500}}}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		Status   string        `json:"status"`
		Attempts []attemptJSON `json:"attempts"`
		Next     *time.Time    `json:"next_attempt_at"`
	}
	e.must(202, "POST", "/v1/deliveries/dlv_exhausted/retry", keyA, nil, &got)
	if got.Status != "retrying" || len(got.Attempts) != 1 || got.Next == nil || !got.Next.Equal(now) {
		t.Fatalf("after retry %+v", got)
	}
	if n := e.queued(t); n != 1 {
		t.Fatalf("%d queued, want 1", n)
	}
	if a := e.call("POST", "/v1/deliveries/dlv_done/retry", keyA, nil); a.status != http.StatusConflict {
		t.Fatalf("retrying a delivered delivery: %d %s", a.status, a.raw)
	}
	if a := e.call("POST", "/v1/deliveries/dlv_exhausted/retry", keyB, nil); a.status != http.StatusNotFound {
		t.Fatalf("tenant B retried tenant A's delivery: %d", a.status)
	}
}

type attemptJSON = map[string]any

func TestRecoverSince(t *testing.T) {
	e := newEnv(t)
	var sub subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/r", "event_types": []string{"*"}}, &sub)
	deliveries := &store.Deliveries{DB: e.db, Table: e.tables["deliveries"]}
	for i, tc := range []struct {
		status string
		age    time.Duration
	}{
		{store.DeliveryExhausted, time.Hour}, {store.DeliveryFailed, 2 * time.Hour}, {store.DeliveryDelivered, time.Hour},
		{store.DeliveryExhausted, 48 * time.Hour},
	} {
		if _, err := deliveries.Create(context.Background(), store.Delivery{ID: "dlv_r" + string(rune('a'+i)), TenantID: "tenant-a",
			SubscriptionID: sub.ID, EventID: "evt_x", MessageID: "msg_x", Status: tc.status, CreatedAt: now.Add(-tc.age)}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		Recovered int  `json:"recovered"`
		More      bool `json:"more"`
	}
	e.must(202, "POST", "/v1/subscriptions/"+sub.ID+"/recover", keyA, map[string]any{"since": now.Add(-24 * time.Hour).Format(time.RFC3339)}, &got)
	if got.Recovered != 2 || got.More {
		t.Fatalf("recovered %+v, want the 2 failed ones of the last day", got)
	}
	if n := e.queued(t); n != 2 {
		t.Fatalf("%d queued, want 2", n)
	}
	if d, _ := deliveries.Get(context.Background(), "dlv_rd"); d.Status != store.DeliveryExhausted {
		t.Fatalf("an older delivery was recovered: %s", d.Status)
	}
}
