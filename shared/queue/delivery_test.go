package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestNewDeliveryMessages: fan-out's messages carry what creating a delivery needs, batched
// by ten, and parse back as sent (and never as an event's key); a key alone stays exactly
// {"delivery_id":"dlv_…"}; a message of a new delivery lacking what its record needs is
// malformed.
func TestNewDeliveryMessages(t *testing.T) {
	rec := testenv.NewRecorder()
	client := testenv.SQS(t, testenv.Config(testenv.CallTimeout, rec.Middleware))
	url := testenv.Queue(t, client, "deliveries", 30*time.Second)
	q := &queue.Deliveries{SQS: client, URL: url}
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	sent := map[string]queue.DeliveryMessage{}
	var msgs []queue.DeliveryMessage
	for i := range 12 {
		m := queue.DeliveryMessage{DeliveryID: fmt.Sprintf("dlv_%02d", i), New: &queue.NewDelivery{TenantID: "t1",
			SubscriptionID: fmt.Sprintf("sub_%02d", i), EventID: "evt_1", EventType: "payment.received", MessageID: "msg_1",
			Replay: i % 2, CreatedAt: at}}
		if i == 0 {
			m.New.ExpiresAt = at.Add(30 * 24 * time.Hour)
		}
		sent[m.DeliveryID] = m
		msgs = append(msgs, m)
	}
	rec.Reset()
	if err := q.EnqueueNew(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if calls := rec.Calls(); calls["SendMessageBatch"] != 2 || rec.Total() != 2 {
		t.Fatalf("calls %v, want 2 SendMessageBatch", calls)
	}
	got := 0
	for {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, raw := range out.Messages {
			m, err := queue.ParseDelivery(aws.ToString(raw.Body))
			want := sent[m.DeliveryID]
			if err != nil || m.New == nil || *m.New != *want.New {
				t.Fatalf("parsed %s as %+v (%v), want %+v", aws.ToString(raw.Body), m.New, err, want.New)
			}
			got++
		}
	}
	if got != len(msgs) {
		t.Fatalf("%d messages received, want %d", got, len(msgs))
	}
	if m, err := queue.ParseDelivery(`{"delivery_id":"dlv_key"}`); err != nil || m.DeliveryID != "dlv_key" || m.New != nil {
		t.Fatalf("a key alone: %+v %v", m, err)
	}
	if _, err := queue.ParseEventMessage(string(mustJSON(t, msgs[0]))); !errors.Is(err, queue.ErrMalformedMessage) {
		t.Fatalf("an events queue parser read fan-out's message as an event's key: %v", err)
	}
	for _, body := range []string{
		`{"delivery_id":"dlv_x","new":{"subscription_id":"sub_1","event_id":"evt_1","message_id":"msg_1","created_at":"2026-11-25T10:00:00Z"}}`,
		`{"delivery_id":"dlv_x","new":{"subscription_id":"sub_1","tenant_id":"t1","event_id":"evt_1","message_id":"msg_1"}}`,
		`{"delivery_id":"dlv_x","new":{}}`,
		`{"new":{"subscription_id":"sub_1"}}`,
	} {
		if _, err := queue.ParseDelivery(body); !errors.Is(err, queue.ErrMalformedMessage) {
			t.Errorf("%s: %v, want ErrMalformedMessage", body, err)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
