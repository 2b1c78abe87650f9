package loadtest

import (
	"maps"
	"testing"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/awsenv"
)

func TestCallTimingsAggregatePerFunctionAndOperation(t *testing.T) {
	var c CallTimings
	for _, s := range []awsenv.CallStat{
		{Function: "deliver", Service: "DynamoDB", Op: "GetItem", Micros: 1000, Attempts: 1},
		{Function: "deliver", Service: "DynamoDB", Op: "GetItem", Micros: 3000, Attempts: 2, Throttles: 1},
		{Function: "deliver", Service: "DynamoDB", Op: "GetItem", Micros: 9000, Attempts: 3, Throttles: 3, Err: "ThrottlingException"},
		{Function: "ingest-stripe", Service: "SQS", Op: "SendMessage", Micros: 2000, Attempts: 2, ServerErrors: 1},
		{Function: "process", Service: "DynamoDB", Op: "PutItem", Micros: 500, Attempts: 1, Err: "ConditionalCheckFailedException"},
	} {
		c.Add(s)
	}
	got := c.Summary()
	get := got[CallKey{"deliver", "DynamoDB", "GetItem"}]
	if get.Latency.N != 3 || get.Latency.P50 != 3*time.Millisecond || get.Latency.Max != 9*time.Millisecond || get.Attempts != 6 ||
		get.Throttles != 4 || !maps.Equal(get.Errors, map[string]int{"ThrottlingException": 1}) {
		t.Fatalf("deliver GetItem %+v", get)
	}
	if send := got[CallKey{"ingest-stripe", "SQS", "SendMessage"}]; send.ServerErrors != 1 || send.Attempts != 2 || send.Errors != nil {
		t.Fatalf("ingest SendMessage %+v", send)
	}
	if put := got[CallKey{"process", "DynamoDB", "PutItem"}]; put.Errors["ConditionalCheckFailedException"] != 1 {
		t.Fatalf("process PutItem %+v", put)
	}
}

func TestInvocationsSummarizeQueueWaitAndRunTime(t *testing.T) {
	var inv Invocations
	for i := 1; i <= 4; i++ {
		inv.Observe(local.Invocation{Function: "ingest-stripe", Wait: time.Duration(i) * time.Millisecond, Run: time.Duration(10*i) * time.Millisecond, Failed: i == 4})
	}
	s := inv.Summary()["ingest-stripe"]
	if s.Wait.N != 4 || s.Wait.P50 != 2*time.Millisecond || s.Run.P99 != 40*time.Millisecond || s.Run.Mean() != 25*time.Millisecond || s.Failed != 1 {
		t.Fatalf("%+v", s)
	}
}
