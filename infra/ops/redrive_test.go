package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// deadLetters stores n events spread over tenants and puts their keys on the events DLQ;
// it returns each tenant's message bodies.
func deadLetters(t *testing.T, target *Target, n int, tenants ...string) map[string][]string {
	t.Helper()
	events := &store.Events{DB: target.DB, Table: target.table(topology.TableEvents)}
	bodies := map[string][]string{}
	var all []string
	for i := range n {
		tenant := tenants[i%len(tenants)]
		id := fmt.Sprintf("evt_%s_%04d", tenant, i)
		if _, _, err := events.PutNew(context.Background(), store.Event{ID: id, TenantID: tenant, Type: []string{"payment.received", "booking.created"}[i%2],
			CorrelationID: id, Time: t0, Envelope: []byte(`{"id":"` + id + `"}`), ReceivedAt: t0}); err != nil {
			t.Fatal(err)
		}
		body := `{"event_id":"` + id + `"}`
		bodies[tenant] = append(bodies[tenant], body)
		all = append(all, body)
	}
	sendAll(t, target.SQS, target.DLQs[topology.QueueEvents], all)
	return bodies
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestRedriveOneTenant is acceptance 1: a DLQ holding 500 messages of 3 tenants; dlq
// redrive --tenant A moves exactly A's messages back to the queue and leaves the others.
func TestRedriveOneTenant(t *testing.T) {
	target := newTarget(t)
	bodies := deadLetters(t, target, 500, "t_a", "t_b", "t_c")
	out := mustOps(t, target, "dlq", "redrive", "--stage", "test", "--queue", "events", "--tenant", "t_a")
	if !strings.Contains(out, fmt.Sprintf("moved back %d, kept %d", len(bodies["t_a"]), 500-len(bodies["t_a"]))) {
		t.Errorf("the redrive does not report its figures:\n%s", out)
	}
	moved := drain(t, target.SQS, target.Queues[topology.QueueEvents])
	left := drain(t, target.SQS, target.DLQs[topology.QueueEvents])
	if !slices.Equal(sorted(moved), sorted(bodies["t_a"])) {
		t.Errorf("moved %d messages, want exactly A's %d", len(moved), len(bodies["t_a"]))
	}
	if !slices.Equal(sorted(left), sorted(append(slices.Clone(bodies["t_b"]), bodies["t_c"]...))) {
		t.Errorf("%d messages left in the DLQ, want exactly B's and C's %d", len(left), len(bodies["t_b"])+len(bodies["t_c"]))
	}
}

// errKilled is what every SQS call answers once the killer has struck.
var errKilled = errors.New("killed")

// killer plays the command's death: after its after-th SendMessageBatch succeeds, every
// SQS call fails, as if the process had gone (nothing given back, nothing deleted).
type killer struct {
	mu           sync.Mutex
	after, sends int
}

func (k *killer) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("Killer",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			k.mu.Lock()
			dead := k.sends >= k.after
			k.mu.Unlock()
			if dead {
				return middleware.InitializeOutput{}, middleware.Metadata{}, errKilled
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil && awsmiddleware.GetOperationName(ctx) == "SendMessageBatch" {
				k.mu.Lock()
				k.sends++
				k.mu.Unlock()
			}
			return out, md, err
		}), middleware.Before)
}

// TestRedriveKilledMidwayLosesNone is acceptance 1's second half: a selective redrive
// killed after three batches went back (the third not yet deleted from the DLQ, the
// messages it held left invisible) and run again moves every one of A's messages; the
// only duplicates are the batch in flight at the kill, and B's and C's stay in the DLQ.
func TestRedriveKilledMidwayLosesNone(t *testing.T) {
	k := &killer{after: 1 << 30}
	target := newTarget(t, k.middleware)
	bodies := deadLetters(t, target, 500, "t_a", "t_b", "t_c")
	k.mu.Lock()
	k.after, k.sends = 3, 0
	k.mu.Unlock()
	_, err := ops(t, target, "dlq", "redrive", "--stage", "test", "--queue", "events", "--tenant", "t_a", "--visibility", "2s")
	if !errors.Is(err, errKilled) {
		t.Fatalf("the first run was not killed: %v", err)
	}
	again := *target
	again.SQS = testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	mustOps(t, &again, "dlq", "redrive", "--stage", "test", "--queue", "events", "--tenant", "t_a", "--visibility", "2s")

	moved := drain(t, again.SQS, target.Queues[topology.QueueEvents])
	left := drain(t, again.SQS, target.DLQs[topology.QueueEvents])
	distinct := slices.Compact(sorted(moved))
	if !slices.Equal(distinct, sorted(bodies["t_a"])) {
		t.Errorf("moved %d distinct messages, want A's %d", len(distinct), len(bodies["t_a"]))
	}
	if dup := len(moved) - len(distinct); dup > 10 {
		t.Errorf("%d duplicates, more than the one batch in flight at the kill", dup)
	}
	if !slices.Equal(sorted(left), sorted(append(slices.Clone(bodies["t_b"]), bodies["t_c"]...))) {
		t.Errorf("%d messages left in the DLQ, want exactly B's and C's %d", len(left), len(bodies["t_b"])+len(bodies["t_c"]))
	}
	t.Logf("moved %d (%d duplicates, the batch in flight at the kill)", len(moved), len(moved)-len(distinct))
}

// TestRedriveWholeQueueUsesMoveTask is acceptance 2: dlq redrive without a filter starts
// SQS's move task and reports its progress until it completes.
func TestRedriveWholeQueueUsesMoveTask(t *testing.T) {
	target := newTarget(t)
	bodies := deadLetters(t, target, 60, "t_a", "t_b")
	out := mustOps(t, target, "dlq", "redrive", "--stage", "test", "--queue", "events")
	if !strings.Contains(out, "60/60 COMPLETED") {
		t.Errorf("no progress to the end:\n%s", out)
	}
	if moved := drain(t, target.SQS, target.Queues[topology.QueueEvents]); len(moved) != 60 {
		t.Errorf("%d moved, want 60", len(moved))
	}
	if left := drain(t, target.SQS, target.DLQs[topology.QueueEvents]); len(left) != 0 || len(bodies["t_a"]) != 30 {
		t.Errorf("%d left in the DLQ", len(left))
	}
	js := mustOps(t, target, "dlq", "redrive", "--stage", "test", "--queue", "deliveries", "--json")
	if !strings.Contains(js, `"status": "NOTHING_TO_MOVE"`) {
		t.Errorf("an empty DLQ: %s", js)
	}
}

// TestRedriveCancel: --cancel stops the DLQ's running move task.
func TestRedriveCancel(t *testing.T) {
	target := newTarget(t)
	deadLetters(t, target, 30, "t_a")
	ctx := context.Background()
	dlqARN, _ := queueAttribute(ctx, target.SQS, target.DLQs[topology.QueueEvents], sqstypes.QueueAttributeNameQueueArn)
	if _, err := target.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), MaxNumberOfMessagesPerSecond: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	out := mustOps(t, target, "dlq", "redrive", "--stage", "test", "--queue", "events", "--cancel")
	if !strings.Contains(out, "move task cancelled") {
		t.Fatalf("cancel: %s", out)
	}
	tasks, err := target.SQS.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN)})
	if err != nil || len(tasks.Results) == 0 || aws.ToString(tasks.Results[0].Status) == "RUNNING" {
		t.Fatalf("after --cancel: %+v, %v", tasks, err)
	}
	if out := mustOps(t, target, "dlq", "redrive", "--stage", "test", "--queue", "events", "--cancel"); !strings.Contains(out, "no move task is running") {
		t.Errorf("a second cancel: %s", out)
	}
}

// TestRedriveNewDeliveriesByTenant: fan-out's messages of deliveries whose records were never
// created (their first lease never happened) are told apart by what they carry: dlq redrive
// --tenant moves exactly that tenant's.
func TestRedriveNewDeliveriesByTenant(t *testing.T) {
	target := newTarget(t)
	bodies := map[string][]string{}
	var all []string
	for i := range 6 {
		tenant := []string{"t_a", "t_b"}[i%2]
		b, err := json.Marshal(queue.DeliveryMessage{DeliveryID: fmt.Sprintf("dlv_new_%d", i), New: &queue.NewDelivery{
			TenantID: tenant, SubscriptionID: "sub_" + tenant, EventID: fmt.Sprintf("evt_%d", i), EventType: "payment.received",
			MessageID: fmt.Sprintf("msg_%d", i), CreatedAt: t0}})
		if err != nil {
			t.Fatal(err)
		}
		bodies[tenant] = append(bodies[tenant], string(b))
		all = append(all, string(b))
	}
	sendAll(t, target.SQS, target.DLQs[topology.QueueDeliveries], all)
	mustOps(t, target, "dlq", "redrive", "--stage", "test", "--queue", "deliveries", "--tenant", "t_a")
	moved := drain(t, target.SQS, target.Queues[topology.QueueDeliveries])
	left := drain(t, target.SQS, target.DLQs[topology.QueueDeliveries])
	if !slices.Equal(sorted(moved), sorted(bodies["t_a"])) || !slices.Equal(sorted(left), sorted(bodies["t_b"])) {
		t.Fatalf("moved %d, left %d; want A's %d moved and B's %d left", len(moved), len(left), len(bodies["t_a"]), len(bodies["t_b"]))
	}
}
