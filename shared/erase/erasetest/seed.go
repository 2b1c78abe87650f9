// Package erasetest seeds a tenant's tables with one contact's address stored every way the
// hub stores it, for the tests of erasures.
package erasetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Address is the contact the seeded items hold, in the case a provider might send it.
const Address = "Jane.Doe+Wedding@Example.com"

// Seeded counts what Seed stored for one tenant.
type Seeded struct {
	// Holding are the items that hold the address, by table; Deleted the ones whose key does.
	Holding, Deleted map[string]int
}

// Seed stores, for tenant, events whose envelope and raw body hold the address as JSON, as
// JSON escapes, percent-encoded in a form, as JSON inside a form field, in an event stored
// before bodies were one gzip stream, a derived e-mail command, an event without it and a
// processed marker; deliveries whose attempt log and reason hold it; and remembered /v1
// answers, sealed, one holding it, one whose Idempotency-Key does, one without it.
func Seed(t testing.TB, db store.DynamoDB, tables map[string]string, sealer secrets.Sealer, tenant string, at time.Time) Seeded {
	t.Helper()
	ctx := context.Background()
	events := &store.Events{DB: db, Table: tables[topology.TableEvents]}
	put := func(id, typ, envelope, raw string) {
		t.Helper()
		ev := store.Event{ID: id, TenantID: tenant, ConnectionID: "conn_" + tenant, Type: typ, CorrelationID: id, Time: at,
			Envelope: []byte(envelope), ReceivedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour)}
		if raw != "" {
			ev.Raw = []byte(raw)
		}
		if _, _, err := events.PutNew(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	put("evt_"+tenant+"_stripe", "payment.received",
		`{"id":"evt_`+tenant+`_stripe","tenantid":"`+tenant+`","type":"payment.received","data":{"amount":5000,"receipt_email":"jane.doe+wedding@example.com"}}`,
		`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"receipt_email":"Jane.Doe+Wedding@Example.com"}}}`)
	put("evt_"+tenant+"_custom", "booking.created",
		`{"id":"evt_`+tenant+`_custom","type":"booking.created","data":{"couple_email":"jane.doe+wedding\u0040example.com"}}`,
		`{"type":"booking.created","data":{"couple_email":"JANE.DOE+WEDDING\u0040EXAMPLE.COM","note":"write to jane.doe+wedding@example.com."}}`)
	put("evt_"+tenant+"_mailchimp", "contact.subscribed",
		`{"id":"evt_`+tenant+`_mailchimp","type":"contact.subscribed","data":{"email":"jane.doe+wedding@example.com"}}`,
		`type=subscribe&fired_at=2026-11-25+10%3A00%3A00&data%5Bemail%5D=jane.doe%2Bwedding%40example.com&data%5Bmerges%5D%5BEMAIL%5D=Jane.Doe%2BWedding%40Example.com`)
	put("evt_"+tenant+"_mandrill", "message.sent",
		`{"id":"evt_`+tenant+`_mandrill","type":"message.sent","data":{"email":"jane.doe+wedding@example.com"}}`,
		`mandrill_events=%5B%7B%22event%22%3A%22send%22%2C%22msg%22%3A%7B%22email%22%3A%22jane.doe%2Bwedding%5Cu0040example.com%22%7D%7D%5D`)
	put("evt_"+tenant+"_receipt", "email.send",
		`{"id":"evt_`+tenant+`_receipt","type":"email.send","origin":"reaction","data":{"to":"jane.doe+wedding@example.com","template":"receipt"}}`, "")
	put("evt_"+tenant+"_other", "booking.created",
		`{"id":"evt_`+tenant+`_other","type":"booking.created","data":{"couple_email":"mary.jane.doe+wedding@example.com"}}`,
		`{"data":{"couple_email":"mary.jane.doe+wedding@example.com","venue":"jane.doe+wedding@example.com.au"}}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"data":{"email":"jane.doe+wedding@example.com"}}`))
	_ = zw.Close()
	raw := func(item map[string]types.AttributeValue) {
		t.Helper()
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tables[topology.TableEvents]), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	raw(map[string]types.AttributeValue{"id": s("evt_" + tenant + "_legacy"), "tenant_id": s(tenant), "type": s("payment.received"),
		"envelope": s(`{"data":{"receipt_email":"jane.doe+wedding@example.com"}}`), "raw": &types.AttributeValueMemberB{Value: gz.Bytes()}})
	if err := events.MarkProcessed(ctx, "evt_"+tenant+"_stripe", at, at.Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	deliveries := &store.Deliveries{DB: db, Table: tables[topology.TableDeliveries]}
	for i, d := range []store.Delivery{
		{ID: "dlv_" + tenant + "_1", EventID: "evt_" + tenant + "_stripe", Status: store.DeliveryRetrying,
			Reason: "endpoint answered 422: unknown customer jane.doe+wedding@example.com",
			Attempts: []store.Attempt{
				{Number: 1, At: at, StatusCode: 422, Response: `{"error":"unknown customer","email":"jane.doe+wedding@example.com"}`},
				{Number: 2, At: at, StatusCode: 500, Response: `<p>jane.doe%2Bwedding%40example.com</p>`},
			}},
		{ID: "dlv_" + tenant + "_2", EventID: "evt_" + tenant + "_other", Status: store.DeliveryDelivered,
			Attempts: []store.Attempt{{Number: 1, At: at, StatusCode: 200, Response: `{"ok":true}`}}},
	} {
		d.TenantID, d.SubscriptionID, d.EventType, d.MessageID, d.CreatedAt, d.UpdatedAt = tenant, "sub_"+tenant, "payment.received", d.ID, at.Add(time.Duration(i)), at
		if _, err := deliveries.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
	}

	idem := &store.IdempotencyKeys{DB: db, Table: tables[topology.TableIdempotencyKeys]}
	for key, answer := range map[string]string{
		"replay-1":                           `{"success":true,"data":{"event":{"data":{"receipt_email":"jane.doe+wedding@example.com"}}}}`,
		"erase jane.doe+wedding@example.com": `{"success":true,"data":{"id":"job_1"}}`,
		"create-sub":                         `{"success":true,"data":{"id":"sub_1"}}`,
	} {
		scope := tenant + "\x00POST /v1/things\x00" + key
		if _, _, err := idem.Begin(ctx, scope, "hash", at); err != nil {
			t.Fatal(err)
		}
		sealed, err := sealer.Seal(ctx, secrets.IdempotencyScope(tenant, scope), answer)
		if err != nil {
			t.Fatal(err)
		}
		if err := idem.Finish(ctx, scope, 200, sealed); err != nil {
			t.Fatal(err)
		}
	}
	return Seeded{
		Holding: map[string]int{topology.TableEvents: 6, topology.TableDeliveries: 1, topology.TableIdempotencyKeys: 1},
		Deleted: map[string]int{topology.TableIdempotencyKeys: 1},
	}
}

// Owner is the tenant an item belongs to: its tenant_id, or the tenant its remembered
// answer's key begins with.
func Owner(item map[string]types.AttributeValue) string {
	if v, ok := item["tenant_id"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	if v, ok := item["scope"].(*types.AttributeValueMemberS); ok {
		tenant, _, _ := bytes.Cut([]byte(v.Value), []byte{0})
		return string(tenant)
	}
	return ""
}

// Opener opens an item's sealed remembered answer for the tests' scans.
func Opener(ctx context.Context, sealer secrets.Sealer, item map[string]types.AttributeValue) func(string) (string, bool) {
	scope, ok := item["scope"].(*types.AttributeValueMemberS)
	if !ok {
		return nil
	}
	return func(v string) (string, bool) {
		plain, err := sealer.Open(ctx, secrets.IdempotencyScope(Owner(item), scope.Value), v)
		return plain, err == nil
	}
}
