package cost_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/infra/cost"
	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestProxyConfirmsTheMeter: the same calls, counted by the functions' middleware
// (CallStats lines fed to a Meter) and by the counting proxy in front of each emulator,
// agree: calls, write and read units (GSI writes and refused conditional writes included),
// SQS and KMS calls.
func TestProxyConfirmsTheMeter(t *testing.T) {
	ctx := context.Background()
	var proxies []*cost.Proxy
	for _, upstream := range []string{testenv.DynamoDBEndpoint(t), testenv.SQSEndpoint(t), testenv.KMSEndpoint(t)} {
		p, err := cost.StartProxy(upstream)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		proxies = append(proxies, p)
	}
	plain := testenv.Config(testenv.CallTimeout)
	tables := testenv.Tables(t, testenv.DynamoDB(t, plain))
	queueURL := testenv.Queue(t, testenv.SQS(t, plain), "cost", 30*time.Second)
	keyID := testenv.KMSKey(t, testenv.KMS(t, plain))

	var lines bytes.Buffer
	cfg := testenv.Config(testenv.CallTimeout, awsenv.CallStats(&lines, "process", 1))
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint, o.DisableValidateResponseChecksum = aws.String(proxies[0].URL), true
	})
	sq := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(proxies[1].URL) })
	keys := kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(proxies[2].URL) })

	events := &store.Events{DB: db, Table: tables["events"]}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"evt_proxy_a", "evt_proxy_b", "evt_proxy_a"} {
		ev := store.Event{ID: id, TenantID: "t1", Type: "payment.received", CorrelationID: id, Time: now, ReceivedAt: now,
			Envelope: bytes.Repeat([]byte(`{"data":"x"}`), 150), Raw: bytes.Repeat([]byte("raw "), 400)}
		if _, _, err := events.PutNew(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := events.MarkProcessed(ctx, "evt_proxy_a", now, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := events.GetEventually(ctx, "evt_proxy_b"); err != nil {
		t.Fatal(err)
	}
	if _, err := events.ListByTenant(ctx, "t1", store.EventFilter{}, "", 10); err != nil {
		t.Fatal(err)
	}
	if err := (&queue.Events{SQS: sq, URL: queueURL}).Enqueue(ctx, "evt_proxy_b"); err != nil {
		t.Fatal(err)
	}
	if err := (&queue.Deliveries{SQS: sq, URL: queueURL}).EnqueueAll(ctx, []string{"dlv_1", "dlv_2", "dlv_3"}); err != nil {
		t.Fatal(err)
	}
	sealer := &secrets.Envelope{Client: keys, KeyID: keyID}
	sealed, err := sealer.Seal(ctx, secrets.Scope{TenantID: "t1", ResourceID: "sub_1"}, "whsec_secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealer.Open(ctx, secrets.Scope{TenantID: "t1", ResourceID: "sub_1"}, sealed); err != nil {
		t.Fatal(err)
	}

	meter := &cost.Meter{Tables: map[string]string{tables["events"]: "events"}}
	if _, err := awsenv.ReadCallStats(&lines, meter.Call); err != nil {
		t.Fatal(err)
	}
	r := cost.Result{Rows: meter.Rows(), Proxy: map[cost.ProxyKey]cost.Tally{}}
	for _, p := range proxies {
		for k, tally := range p.Counts() {
			r.Proxy[k] = tally
		}
	}
	for _, c := range r.Checks() {
		if c.Meter != c.Proxy || c.Meter == 0 {
			t.Errorf("%s: meter %.1f, proxy %.1f; want the same, above zero", c.Name, c.Meter, c.Proxy)
		}
	}
	for _, row := range r.Rows {
		if row.Op == "PutItem" && row.ConditionFailed != 1 {
			t.Errorf("the duplicate put should count as one refused conditional write: %+v", row)
		}
	}
}
