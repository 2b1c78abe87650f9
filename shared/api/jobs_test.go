package api_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/erase/erasetest"
	"github.com/wedsync/webhooks/shared/jobs"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestEraseContactRunsAsAJob: POST /v1/contacts/erase answers 202 with a queued job at
// once; the job runs in steps off the commands queue (the act worker's side), each within
// its time; GET /v1/jobs/{id} then says succeeded with what changed; no item of the tenant
// holds the address, the other tenant's items are as they were, and the address is in no
// answer, queue message, log line or finished job record. Another tenant cannot see the job.
func TestEraseContactRunsAsAJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		erasetest.Seed(t, e.db, e.tables, e.sealer, tenant, now)
	}
	before := testenv.ScanAll(t, e.db.(*dynamodb.Client), e.tables)

	var started api.Job
	a := e.must(202, "POST", "/v1/contacts/erase", keyA, map[string]string{"email": erasetest.Address}, &started)
	if started.Status != store.JobQueued || !strings.HasPrefix(started.ID, "job_") || strings.Contains(strings.ToLower(a.raw), "jane.doe") {
		t.Fatalf("started: %s", a.raw)
	}
	e.must(404, "GET", "/v1/jobs/"+started.ID, keyB, nil, nil)

	sq := testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	clock := now
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
	runner := &jobs.Runner{Jobs: e.jobs, Queue: sq, URL: e.commandsQueue, Sealer: e.sealer, Now: tick, Budget: 3 * time.Second,
		Eraser: &erase.Eraser{DB: e.db.(erase.DynamoDB), Tables: e.tables, Sealer: e.sealer, PageSize: 2, Now: tick},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	steps := 0
	for steps < 100 {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.commandsQueue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			if strings.Contains(strings.ToLower(aws.ToString(m.Body)), "jane.doe") {
				t.Fatalf("a queue message holds the address: %s", aws.ToString(m.Body))
			}
			step, err := queue.ParseJobMessage(aws.ToString(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			if err := runner.Step(ctx, step); err != nil {
				t.Fatal(err)
			}
			steps++
			if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(e.commandsQueue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var done api.Job
	e.must(200, "GET", "/v1/jobs/"+started.ID, keyA, nil, &done)
	if done.Status != store.JobSucceeded || done.FinishedAt == nil || steps < 2 ||
		done.Tables["events"].Changed != 6 || done.Tables["deliveries"].Changed != 1 || done.Tables["idempotency_keys"].Changed != 1 ||
		done.Tables["idempotency_keys"].Deleted != 1 {
		t.Fatalf("after %d steps: %+v", steps, done)
	}
	job, err := e.jobs.Get(ctx, started.ID)
	if err != nil || job.SealedInput != "" || job.State != "" {
		t.Errorf("the finished job keeps its input or state: %+v, %v", job, err)
	}
	after := testenv.ScanAll(t, e.db.(*dynamodb.Client), e.tables)
	for table, items := range after {
		for _, item := range items {
			if erasetest.Owner(item) == "tenant-a" && testenv.ItemHolds(item, erasetest.Address, erasetest.Opener(ctx, e.sealer, item)) {
				t.Errorf("%s: an item of tenant-a holds the address: %v", table, item)
			}
		}
	}
	unchanged := 0
	for table, items := range before {
		for _, item := range items {
			if erasetest.Owner(item) != "tenant-b" {
				continue
			}
			if !containsItem(after[table], item) {
				t.Errorf("%s: an item of tenant-b changed: %v", table, item)
			}
			unchanged++
		}
	}
	if unchanged < 10 || strings.Contains(strings.ToLower(e.logs.String()), "jane.doe") {
		t.Errorf("%d of tenant-b's items checked; logs hold the address: %v", unchanged, strings.Contains(e.logs.String(), "jane"))
	}
}

// TestEraseContactBadInput: what the erasure refuses, each with the field named, and
// nothing queued.
func TestEraseContactBadInput(t *testing.T) {
	e := newEnv(t)
	for name, c := range map[string]struct {
		body   any
		status int
		field  string
	}{
		"no email":           {map[string]any{}, 422, "email"},
		"not an address":     {map[string]any{"email": "jane at example.com"}, 422, "email"},
		"two at signs":       {map[string]any{"email": "jane@doe@example.com"}, 422, "email"},
		"too long":           {map[string]any{"email": strings.Repeat("j", 250) + "@example.com"}, 422, "email"},
		"not a string":       {map[string]any{"email": []string{"jane@example.com"}}, 422, "email"},
		"unknown field":      {map[string]any{"email": "jane@example.com", "phone": "+44"}, 422, "phone"},
		"malformed JSON":     {[]byte(`{"email": "jane@example.com"`), 400, ""},
		"empty body":         {[]byte(``), 400, ""},
		"control characters": {map[string]any{"email": "jane\n@example.com"}, 422, "email"},
	} {
		t.Run(name, func(t *testing.T) {
			a := e.call("POST", "/v1/contacts/erase", keyA, c.body)
			if a.status != c.status {
				t.Fatalf("got %d %s, want %d", a.status, a.raw, c.status)
			}
			if c.field != "" && !detailNames(a.Error.Details, c.field) {
				t.Errorf("the answer does not name %s: %s", c.field, a.raw)
			}
			if strings.Contains(a.raw, "example.com") {
				t.Errorf("the answer echoes the address: %s", a.raw)
			}
		})
	}
	for name, c := range map[string]struct {
		method, path string
		status       int
	}{
		"the address in the path": {"DELETE", "/v1/contacts/jane@example.com", 404},
		"GET of the erasure":      {"GET", "/v1/contacts/erase", 405},
		"unknown job":             {"GET", "/v1/jobs/job_nope", 404},
		"overlong job id":         {"GET", "/v1/jobs/job_" + strings.Repeat("x", 80), 422},
	} {
		t.Run(name, func(t *testing.T) {
			if a := e.call(c.method, c.path, keyA, nil); a.status != c.status {
				t.Errorf("got %d %s, want %d", a.status, a.raw, c.status)
			}
		})
	}
	if n := queued(t, e.commandsQueue); n != 0 {
		t.Errorf("%d jobs queued by refused requests", n)
	}
}

func containsItem(items []map[string]types.AttributeValue, want map[string]types.AttributeValue) bool {
	for _, item := range items {
		if reflect.DeepEqual(item, want) {
			return true
		}
	}
	return false
}

// detailNames reports whether an error's details name field (alone or as a path's end).
func detailNames(details map[string]any, field string) bool {
	for k := range details {
		if k == field || strings.HasSuffix(k, "."+field) {
			return true
		}
	}
	return false
}

// queued counts the messages in a queue.
func queued(t *testing.T, url string) int {
	t.Helper()
	sq := testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	out, err := sq.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	return n
}
