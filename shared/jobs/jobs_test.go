package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/act"
	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/erase/erasetest"
	"github.com/wedsync/webhooks/shared/jobs"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// emulators are fresh tables and a commands queue.
func emulators(t *testing.T) (*dynamodb.Client, map[string]string, *sqs.Client, string) {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	sq := testenv.SQS(t, cfg)
	return db, testenv.Tables(t, db), sq, testenv.Queue(t, sq, "commands", 30*time.Second)
}

// TestCopiesOfAStepRunOnce: a second copy of a step already taken changes nothing; the copy
// of the step just before queues the current one again (in case its queuing was lost); a
// job whose input cannot be opened ends failed, its input gone.
func TestCopiesOfAStepRunOnce(t *testing.T) {
	ctx := context.Background()
	db, tables, sq, url := emulators(t)
	sealer := secrets.Plaintext{}
	erasetest.Seed(t, db, tables, sealer, "tenant-a", time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	now := func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	js := &store.Jobs{DB: db, Table: tables[topology.TableJobs]}
	starter := &jobs.Starter{Jobs: js, Queue: sq, URL: url, Sealer: sealer, Now: now}
	runner := &jobs.Runner{Jobs: js, Queue: sq, URL: url, Sealer: sealer, Now: now, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Eraser: &erase.Eraser{DB: db, Tables: tables, Sealer: sealer}}
	if _, err := starter.StartErase(ctx, "job_one", "tenant-a", erasetest.Address); err != nil {
		t.Fatal(err)
	}
	queued := func() []queue.JobMessage {
		t.Helper()
		var out []queue.JobMessage
		for {
			got, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Messages) == 0 {
				return out
			}
			for _, m := range got.Messages {
				step, err := queue.ParseJobMessage(aws.ToString(m.Body))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, step)
				_, _ = sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
	if q := queued(); len(q) != 1 || q[0] != (queue.JobMessage{JobID: "job_one"}) {
		t.Fatalf("started: %v", q)
	}
	for range 2 {
		if err := runner.Step(ctx, queue.JobMessage{JobID: "job_one"}); err != nil {
			t.Fatal(err)
		}
	}
	job, err := js.Get(ctx, "job_one")
	if err != nil || job.Status != store.JobSucceeded || job.Step != 1 || job.Counts["events.changed"] != 6 || job.SealedInput != "" {
		t.Fatalf("after two copies of step 0: %+v, %v", job, err)
	}
	if q := queued(); len(q) != 0 {
		t.Errorf("a finished job queued %v", q)
	}

	if _, err := starter.StartErase(ctx, "job_two", "tenant-a", "jane@example.com"); err != nil {
		t.Fatal(err)
	}
	queued()
	if _, err := js.Advance(ctx, store.Job{ID: "job_two", Status: store.JobRunning, State: `{"table":1}`, Step: 0}, now()); err != nil {
		t.Fatal(err)
	}
	if err := runner.Step(ctx, queue.JobMessage{JobID: "job_two", Step: 0}); err != nil {
		t.Fatal(err)
	}
	if q := queued(); len(q) != 1 || q[0].Step != 1 {
		t.Errorf("the copy of the step before did not queue the current one: %v", q)
	}

	job3 := store.Job{ID: "job_three", TenantID: "tenant-a", Kind: jobs.KindErase, SealedInput: "kms1.not-sealed", CreatedAt: now()}
	if err := js.Create(ctx, job3); err != nil {
		t.Fatal(err)
	}
	if err := runner.Step(ctx, queue.JobMessage{JobID: "job_three"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := js.Get(ctx, "job_three"); got.Status != store.JobFailed || got.SealedInput != "" || got.Error == "" {
		t.Errorf("an unopenable job: %+v", got)
	}
}

// TestStepFailingOnItsLastReceiveEndsTheJob: a step that fails for want of AWS comes back
// while its message has receives left; on its last receive act gives the job up (failed,
// with the step's error) and lets the message go, rather than leave the job running with
// its step in the dead-letter queue.
func TestStepFailingOnItsLastReceiveEndsTheJob(t *testing.T) {
	ctx := context.Background()
	db, tables, sq, url := emulators(t)
	sealer := secrets.Plaintext{}
	now := func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	erasetest.Seed(t, db, tables, sealer, "tenant-a", now())
	faults := testenv.NewRecorder()
	faults.Inject("Scan", testenv.Fails)
	broken := testenv.DynamoDB(t, testenv.Config(testenv.FaultCallTimeout, faults.Middleware))
	js := &store.Jobs{DB: db, Table: tables[topology.TableJobs]}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	worker := &act.Handler{Logger: logger, Now: now, MaxReceives: topology.Default().MaxReceives(topology.QueueCommands),
		Jobs: &jobs.Runner{Jobs: js, Queue: sq, URL: url, Sealer: sealer, Now: now, Logger: logger,
			Eraser: &erase.Eraser{DB: broken, Tables: tables, Sealer: sealer}}}
	if _, err := (&jobs.Starter{Jobs: js, Queue: sq, URL: url, Sealer: sealer, Now: now}).StartErase(ctx, "job_stuck", "tenant-a", erasetest.Address); err != nil {
		t.Fatal(err)
	}
	step := func(receive int) events.SQSEventResponse {
		t.Helper()
		resp, err := worker.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"job_id":"job_stuck","step":0}`,
			Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receive)}}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for receive := 1; receive < worker.MaxReceives; receive++ {
		if resp := step(receive); len(resp.BatchItemFailures) != 1 {
			t.Fatalf("receive %d: the failed step's message did not come back: %+v", receive, resp)
		}
		if job, _ := js.Get(ctx, "job_stuck"); job.Done() {
			t.Fatalf("receive %d: the job ended: %+v", receive, job)
		}
	}
	if resp := step(worker.MaxReceives); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the last receive kept the message: %+v", resp)
	}
	job, err := js.Get(ctx, "job_stuck")
	if err != nil || job.Status != store.JobFailed || !strings.Contains(job.Error, "step 1 failed on each of its 5 tries") || job.SealedInput != "" {
		t.Fatalf("after the last receive: %+v, %v", job, err)
	}
}
