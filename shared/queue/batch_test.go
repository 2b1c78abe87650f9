package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/testenv"
)

// received takes every visible message off the queue and returns the keys they carry.
func received(t *testing.T, client *sqs.Client, url string, parse func(string) (string, error)) []string {
	t.Helper()
	var ids []string
	for {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			slices.Sort(ids)
			return ids
		}
		for _, m := range out.Messages {
			id, err := parse(aws.ToString(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			if _, err := client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestEnqueueAllBatchesByTen: 25 keys are three SendMessageBatch calls and 25 messages, on
// both queues.
func TestEnqueueAllBatchesByTen(t *testing.T) {
	plain := testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	rec := testenv.NewRecorder()
	client := testenv.SQS(t, testenv.Config(testenv.CallTimeout, rec.Middleware))
	for _, tc := range []struct {
		name    string
		prefix  string
		enqueue func(url string, ids []string) error
		parse   func(string) (string, error)
	}{
		{"events", "evt_", func(url string, ids []string) error {
			return (&queue.Events{SQS: client, URL: url}).EnqueueAll(context.Background(), ids)
		}, queue.ParseEventMessage},
		{"deliveries", "dlv_", func(url string, ids []string) error {
			return (&queue.Deliveries{SQS: client, URL: url}).EnqueueAll(context.Background(), ids)
		}, queue.ParseDeliveryMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := testenv.Queue(t, plain, tc.name, 30*time.Second)
			var ids []string
			for i := range 25 {
				ids = append(ids, fmt.Sprintf("%s%02d", tc.prefix, i))
			}
			rec.Reset()
			if err := tc.enqueue(url, ids); err != nil {
				t.Fatal(err)
			}
			if calls := rec.Calls(); calls["SendMessageBatch"] != 3 || rec.Total() != 3 {
				t.Fatalf("calls %v, want 3 SendMessageBatch", calls)
			}
			if got := received(t, plain, url, tc.parse); !slices.Equal(got, ids) {
				t.Fatalf("queued %v", got)
			}
			if err := tc.enqueue(url, nil); err != nil || rec.Total() != 3 {
				t.Fatalf("no keys: %v, %d calls", err, rec.Total())
			}
		})
	}
}

// TestEnqueueAllNamesWhatItCouldNotQueue: when the calls fail, the error names every key and
// wraps the cause.
func TestEnqueueAllNamesWhatItCouldNotQueue(t *testing.T) {
	plain := testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	url := testenv.Queue(t, plain, "events", 30*time.Second)
	rec := testenv.NewRecorder()
	q := &queue.Events{SQS: testenv.SQS(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware)), URL: url}
	ids := []string{"evt_01", "evt_02", "evt_03", "evt_04", "evt_05", "evt_06", "evt_07", "evt_08", "evt_09", "evt_10", "evt_11", "evt_12"}
	rec.Inject("SendMessageBatch", testenv.Fails)
	err := q.EnqueueAll(context.Background(), ids)
	var partial *queue.NotEnqueuedError
	if !errors.As(err, &partial) || !errors.Is(err, testenv.ErrInjected) {
		t.Fatalf("got %v, want a NotEnqueuedError wrapping the injected fault", err)
	}
	slices.Sort(partial.IDs)
	if !slices.Equal(partial.IDs, ids) {
		t.Fatalf("not queued %v, want every key", partial.IDs)
	}
	if got := received(t, plain, url, queue.ParseEventMessage); len(got) != 0 {
		t.Fatalf("queued %v", got)
	}
}

// refusing answers every batch, refusing the entries it names (the mapping from SQS's
// per-entry answer back to keys is pure logic, so a fake stands in for SQS here).
type refusing struct {
	queue.Sender
	refuse map[string]bool
}

func (f refusing) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.refuse[aws.ToString(e.Id)] {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError")})
		}
	}
	return out, nil
}

// TestEnqueueAllNamesRefusedEntries: entries SQS refuses inside an answered batch are named
// by key and classified as ErrRefused.
func TestEnqueueAllNamesRefusedEntries(t *testing.T) {
	q := &queue.Deliveries{SQS: refusing{refuse: map[string]bool{"1": true}}, URL: "unused"}
	err := q.EnqueueAll(context.Background(), []string{"dlv_a", "dlv_b", "dlv_c", "dlv_d", "dlv_e", "dlv_f", "dlv_g", "dlv_h", "dlv_i", "dlv_j", "dlv_k", "dlv_l"})
	var partial *queue.NotEnqueuedError
	if !errors.As(err, &partial) || !errors.Is(err, queue.ErrRefused) {
		t.Fatalf("got %v", err)
	}
	slices.Sort(partial.IDs)
	if !slices.Equal(partial.IDs, []string{"dlv_b", "dlv_l"}) {
		t.Fatalf("refused %v, want dlv_b and dlv_l (entry 1 of each batch)", partial.IDs)
	}
}
