package cost_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/infra/cost"
	"github.com/wedsync/webhooks/shared/awsenv"
)

// TestTotalsAtListPrices: one event's calls, invocations and request priced from
// prices.json, per million events, with the event source mapping's receive and delete
// modelled per batch and a refused conditional write counted as one write unit.
func TestTotalsAtListPrices(t *testing.T) {
	prices, err := cost.ListPrices()
	if err != nil || prices.AsOf == "" {
		t.Fatalf("prices.json: %v %+v", err, prices)
	}
	m := &cost.Meter{Tables: map[string]string{"wedsync-cost-1-events": "events"}, SQSTriggered: map[string]bool{"process": true}}
	m.Request()
	m.Invocation("ingest-stripe")
	m.Invocation("process")
	for _, s := range []awsenv.CallStat{
		{Function: "ingest-stripe", Pid: 7, Service: "KMS", Op: "Decrypt", Context: "resource=dev-stripe,tenant=dev"},
		{Function: "ingest-stripe", Pid: 7, Service: "KMS", Op: "Decrypt", Context: "resource=dev-stripe,tenant=dev"},
		{Function: "ingest-stripe", Pid: 7, Service: "KMS", Op: "Decrypt", Context: "resource=dev-custom,tenant=dev"},
		{Function: "ingest-stripe", Service: "DynamoDB", Op: "PutItem", Table: "wedsync-cost-1-events",
			Capacity: &awsenv.Capacity{Write: 4, Indexes: map[string]float64{"by_tenant_time": 1, "unprocessed_sweep": 1}}},
		{Function: "ingest-stripe", Service: "SQS", Op: "SendMessage"},
		{Function: "process", Service: "DynamoDB", Op: "GetItem", Table: "wedsync-cost-1-events", Capacity: &awsenv.Capacity{Read: 0.5}},
		{Function: "process", Service: "DynamoDB", Op: "PutItem", Table: "wedsync-cost-1-events", Err: "ConditionalCheckFailedException"},
	} {
		m.Call(s)
	}
	r := cost.Result{Events: 1, Rows: m.Rows(), Prices: prices}
	got := r.Totals().PerEvent(r.Events)
	want := cost.Totals{DynamoDBCalls: 3, DynamoDBWrites: 2, WriteUnits: 5, ReadUnits: 0.5, SQSCalls: 3, KMSCalls: 3, KMSRepeat: 1,
		LambdaRequests: 2, APIRequests: 1}
	pm := prices.PerMillion
	want.Dollars = (1*pm.HTTPAPIRequests + 2*pm.LambdaRequests + 3*pm.SQSRequests + 5*pm.DynamoDBWriteUnits + 0.5*pm.DynamoDBReadUnits + 3*pm.KMSRequests) / 1e6
	if math.Abs(got.Dollars-want.Dollars) > 1e-12 {
		t.Fatalf("$%.3f per million, want $%.3f", got.DollarsPerMillion(), want.DollarsPerMillion())
	}
	got.Dollars = want.Dollars
	if got != want {
		t.Fatalf("totals\n got %+v\nwant %+v", got, want)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, s := range []string{"esm:process", "PutItem (1✗)", "events", "KMS calls 3.000 (1.000 opening a secret its container had opened before)"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the table lacks %q:\n%s", s, out.String())
		}
	}
}

// TestChecksAllowTenPercent: the meter and the proxy agree within 10 % of the larger count.
func TestChecksAllowTenPercent(t *testing.T) {
	for _, c := range []struct {
		check cost.Check
		agree bool
	}{
		{cost.Check{Meter: 100, Proxy: 100}, true},
		{cost.Check{Meter: 91, Proxy: 100}, true},
		{cost.Check{Meter: 100, Proxy: 89}, false},
		{cost.Check{Meter: 0, Proxy: 1}, false},
		{cost.Check{}, true},
	} {
		if c.check.Agrees() != c.agree {
			t.Errorf("%+v agrees: %v, want %v", c.check, c.check.Agrees(), c.agree)
		}
	}
}
