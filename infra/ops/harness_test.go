package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// t0 is every test's clock.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

// newTarget is a stack on the emulators: every table, and each queue of the topology with
// its DLQ and redrive policy, as the stack makes them; sqsMiddleware goes into its SQS
// client (fault injection).
func newTarget(t *testing.T, sqsMiddleware ...func(*middleware.Stack) error) *Target {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	k := testenv.KMS(t, cfg)
	target := &Target{Name: "the test stack", Stage: secrets.StageTest, RetentionDays: 30, Tables: testenv.Tables(t, db),
		Queues: map[string]string{}, DLQs: map[string]string{}, SecretsKeyID: testenv.KMSKey(t, k), DB: db, KMS: k,
		SQS: testenv.SQS(t, testenv.Config(testenv.CallTimeout, sqsMiddleware...))}
	admin := testenv.SQS(t, cfg)
	for _, q := range topology.Default().Queues {
		target.DLQs[q.Name] = testenv.Queue(t, admin, q.DLQ(), 30*time.Second)
		arn, err := queueAttribute(context.Background(), admin, target.DLQs[q.Name], sqstypes.QueueAttributeNameQueueArn)
		if err != nil {
			t.Fatal(err)
		}
		target.Queues[q.Name] = testenv.Queue(t, admin, q.Name, 30*time.Second)
		if _, err := admin.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(target.Queues[q.Name]),
			Attributes: map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":5}`, arn)}}); err != nil {
			t.Fatal(err)
		}
	}
	return target
}

// ops runs a verb against target and returns what it wrote.
func ops(t *testing.T, target *Target, args ...string) (string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := execute(context.Background(), args, &out, &errw, func(*common) (*Target, error) { return target, nil }, clock, 50*time.Millisecond)
	if errw.Len() > 0 {
		t.Logf("ops %v (stderr): %s", args, errw.String())
	}
	return out.String(), err
}

// mustOps runs a verb that must succeed.
func mustOps(t *testing.T, target *Target, args ...string) string {
	t.Helper()
	out, err := ops(t, target, args...)
	if err != nil {
		t.Fatalf("ops %v: %v\n%s", args, err, out)
	}
	return out
}

// drain receives every message of a queue (deleting them) and returns their bodies.
func drain(t *testing.T, q *sqs.Client, url string) []string {
	t.Helper()
	var bodies []string
	for empty := 0; empty < 2; {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := q.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del}); err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}

// sendAll puts bodies on a queue, 10 to a call.
func sendAll(t *testing.T, q *sqs.Client, url string, bodies []string) {
	t.Helper()
	for i := 0; i < len(bodies); i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < min(i+10, len(bodies)); j++ {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j)), MessageBody: aws.String(bodies[j])})
		}
		out, err := q.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("send: %v %v", err, out)
		}
	}
}
