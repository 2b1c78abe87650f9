package ingest_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/providers/custom"
	"github.com/wedsync/webhooks/shared/providers/mailchimp"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/providers/providertest"
	"github.com/wedsync/webhooks/shared/providers/stripe"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

const (
	tenant       = "tenant-a"
	mandrillKey  = "mandrill-key-for-tests"
	mandrillURL  = "https://hooks.example.com/webhooks/mandrill/conn-mandrill"
	mailchimpKey = "mailchimp-url-key-for-tests"
	stripeSecret = "whsec_stripe_test_secret_0123456789"
	customSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// pipeline is ingest and process wired to fresh tables and a fresh queue on the emulators.
type pipeline struct {
	t        *testing.T
	clock    *testenv.Clock
	rec      *testenv.Recorder
	events   *store.Events
	sqs      *sqs.Client
	queueURL string
	stripe   *ingest.Handler
	custom   *ingest.Handler
	// healthyStripe shares stripe's tables and queue but not its faults or deadline: the
	// provider's retry after an outage.
	healthyStripe *ingest.Handler
	mandrill      *ingest.Handler
	// healthyMandrill is mandrill without faults or latency.
	healthyMandrill *ingest.Handler
	mailchimp       *ingest.Handler
	process         *process.Handler
}

type options struct {
	cacheTTL time.Duration
	timeout  time.Duration
	// latency is added to every attempt of every AWS call of the handlers that suffer
	// faults: the emulators answer faster than AWS does.
	latency time.Duration
}

// latency is SDK middleware that delays every attempt by d, as a remote service would.
func latency(d time.Duration) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("WedSyncLatency",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				wait := time.NewTimer(d)
				defer wait.Stop()
				select {
				case <-wait.C:
				case <-ctx.Done():
					return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

func newPipeline(t *testing.T, o options) *pipeline {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = testenv.CallTimeout
	}
	plainCfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, plainCfg)
	tables := testenv.Tables(t, db)
	sqsClient := testenv.SQS(t, plainCfg)
	queueURL := testenv.Queue(t, sqsClient, "events", 30*time.Second)

	kmsAdmin := testenv.KMS(t, plainCfg)
	keyID := testenv.KMSKey(t, kmsAdmin)
	conns := &store.Connections{DB: db, Table: tables["connections"]}
	for _, c := range []store.Connection{
		{ID: "conn-stripe", Kind: "stripe", Status: store.ConnectionActive},
		{ID: "conn-custom", Kind: "custom", Status: store.ConnectionActive},
		{ID: "conn-disabled", Kind: "stripe", Status: store.ConnectionDisabled},
		{ID: "conn-tenant-off", Kind: "stripe", Status: store.ConnectionActive},
		{ID: "conn-mandrill", Kind: "mandrill", Status: store.ConnectionActive, Config: map[string]string{"url": mandrillURL}},
		{ID: "conn-mailchimp", Kind: "mailchimp", Status: store.ConnectionActive},
	} {
		secret := map[string]string{"stripe": stripeSecret, "custom": customSecret, "mandrill": mandrillKey, "mailchimp": mailchimpKey}[c.Kind]
		sealed, err := secrets.SealSet(context.Background(), &secrets.Envelope{Client: kmsAdmin, KeyID: keyID},
			secrets.Scope{TenantID: tenant, ResourceID: c.ID}, secrets.Set{{Secret: secret}})
		if err != nil {
			t.Fatal(err)
		}
		c.TenantID, c.CreatedAt, c.SealedSecrets = tenant, now, sealed
		if err := conns.Put(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	// conn-tenant-off is active, but its tenant was disabled (ops tenant disable marks it).
	if _, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(tables["connections"]),
		Key:              map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "conn-tenant-off"}},
		UpdateExpression: aws.String("SET tenant_disabled_at = :at"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":at": &ddbtypes.AttributeValueMemberN{Value: "1764064800000"}}}); err != nil {
		t.Fatal(err)
	}

	rec := testenv.NewRecorder()
	// The handlers' clients hold to an ingest function's grants, as its role does in AWS.
	mws := []func(*middleware.Stack) error{rec.Middleware, testenv.Grants(t, "ingest-stripe", tables, map[string]string{topology.QueueEvents: queueURL})}
	if o.latency > 0 {
		mws = append(mws, latency(o.latency))
	}
	cfg := testenv.Config(o.timeout, mws...)
	fdb, fsqs, fkms := testenv.DynamoDB(t, cfg), testenv.SQS(t, cfg), testenv.KMS(t, cfg)
	c := testenv.NewClock(now)
	clock := c.Now
	logger := slog.New(slog.DiscardHandler)
	handler := func(p inbound.Provider, db *dynamodb.Client, sq *sqs.Client, k *kms.Client) *ingest.Handler {
		return &ingest.Handler{
			Provider: p,
			Connections: &ingest.ConnectionCache{Store: &store.Connections{DB: db, Table: tables["connections"]},
				Sealer: &secrets.Envelope{Client: k, KeyID: keyID}, TTL: o.cacheTTL, Now: clock},
			Events:    &store.Events{DB: db, Table: tables["events"]},
			Queue:     &queue.Events{SQS: sq, URL: queueURL},
			Now:       clock,
			Retention: 30 * 24 * time.Hour,
			Logger:    logger,
		}
	}
	return &pipeline{
		t: t, clock: c, rec: rec, sqs: sqsClient, queueURL: queueURL,
		events:          &store.Events{DB: db, Table: tables["events"]},
		stripe:          handler(stripe.Provider{}, fdb, fsqs, fkms),
		custom:          handler(custom.Provider{}, fdb, fsqs, fkms),
		healthyStripe:   handler(stripe.Provider{}, db, sqsClient, kmsAdmin),
		mandrill:        handler(mandrill.Provider{}, fdb, fsqs, fkms),
		healthyMandrill: handler(mandrill.Provider{}, db, sqsClient, kmsAdmin),
		mailchimp:       handler(mailchimp.Provider{}, fdb, fsqs, fkms),
		process:         &process.Handler{Events: &store.Events{DB: db, Table: tables["events"]}, Now: clock, Logger: logger},
	}
}

// request builds the API Gateway (payload 2.0) request a provider's POST becomes.
func request(method, kind, connID string, headers map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "ANY /webhooks/" + kind + "/{connectionId}",
		RawPath:        "/webhooks/" + kind + "/" + connID,
		Headers:        headers,
		Body:           string(body),
		PathParameters: map[string]string{"connectionId": connID},
	}
	req.RequestContext.RequestID = "req-test"
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = req.RawPath
	return req
}

type answer struct {
	status int
	body   struct {
		Success bool `json:"success"`
		Data    struct {
			EventID   string `json:"event_id"`
			Duplicate bool   `json:"duplicate"`
		} `json:"data"`
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	raw string
}

// invoke runs h exactly as the Lambda runtime would: raw JSON in, raw JSON out.
func invoke(t *testing.T, h *ingest.Handler, req events.APIGatewayV2HTTPRequest) answer {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, raw: resp.Body}
	if err := json.Unmarshal([]byte(resp.Body), &a.body); err != nil {
		t.Fatalf("answer body %q is not JSON: %v", resp.Body, err)
	}
	return a
}

func stripeHeaders(body []byte, secret string, at time.Time) map[string]string {
	return map[string]string{"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": providertest.StripeSignature(body, secret, at)}
}

func customHeaders(t testing.TB, body []byte, secret, msgID string, at time.Time) map[string]string {
	t.Helper()
	h := providertest.StandardHeaders(t, secret, msgID, at, body)
	h["content-type"] = "application/json"
	return h
}

func stripeFixture(t testing.TB) []byte {
	return providertest.Fixture(t, "../providers/stripe", "payment_intent.succeeded")
}

// drain receives every visible message of the queue and deletes it.
func (p *pipeline) drain() []sqstypes.Message {
	p.t.Helper()
	var all []sqstypes.Message
	for {
		out, err := p.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(p.queueURL), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			p.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			if _, err := p.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(p.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				p.t.Fatal(err)
			}
		}
		all = append(all, out.Messages...)
	}
}

// processAll feeds messages to process as one SQS batch, through the Lambda handler
// interface, and fails on any batch item failure.
func (p *pipeline) processAll(msgs []sqstypes.Message) {
	p.t.Helper()
	if len(msgs) == 0 {
		return
	}
	batch := events.SQSEvent{}
	for _, m := range msgs {
		batch.Records = append(batch.Records, events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			EventSource: "aws:sqs", AWSRegion: "us-east-1",
		})
	}
	in, _ := json.Marshal(batch)
	out, err := lambda.NewHandler(p.process.Handle).Invoke(context.Background(), in)
	if err != nil {
		p.t.Fatal(err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		p.t.Fatal(err)
	}
	if len(resp.BatchItemFailures) > 0 {
		p.t.Fatalf("process reported failures: %+v", resp.BatchItemFailures)
	}
}

// stored lists the tenant's stored events.
func (p *pipeline) stored() []store.Event {
	p.t.Helper()
	page, err := p.events.ListByTenant(context.Background(), tenant, store.EventFilter{}, "", 100)
	if err != nil {
		p.t.Fatal(err)
	}
	return page.Items
}
