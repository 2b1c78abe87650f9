package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// capacities reads what CallStats wrote: per call, its operation and the units per index
// ("" for the table itself).
func capacities(t *testing.T, buf *bytes.Buffer) []map[string]float64 {
	t.Helper()
	var out []map[string]float64
	if _, err := awsenv.ReadCallStats(buf, func(s awsenv.CallStat) {
		units := map[string]float64{}
		if c := s.Capacity; c != nil {
			units[""] = c.Write + c.Read
			for ix, u := range c.Indexes {
				units[ix] = u
				units[""] -= u
			}
		}
		out = append(out, units)
	}); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	return out
}

// TestEventWritesCostTheirIndexesOnly: a provider's event (a 3 KB Stripe body) is stored in
// two write units with one unit for the tenant index, in no sweep index; marking it
// processed writes its one-unit marker and leaves the event's item alone; a reaction's
// child is stored processed in one write (one unit, its tenant and correlation index
// entries) and never marked; only derived events are in the correlation index. The
// scheduler's check for events never queued reads the root's marker alone.
func TestEventWritesCostTheirIndexesOnly(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout, awsenv.CallStats(&buf, "test", 1)))
	tables := testenv.Tables(t, db)
	events := &store.Events{DB: db, Table: tables["events"]}
	raw, err := os.ReadFile("../providers/stripe/testdata/payment_intent.succeeded.json")
	if err != nil {
		t.Fatal(err)
	}
	root := event("evt_cost_root", "tenant-a", t0)
	root.Raw = raw
	root.Envelope = []byte(`{"specversion":"1.0","id":"evt_cost_root","type":"payment.received","source":"wedsync/stripe","data":` +
		`{"payment_id":"pi_3QaB1cDeFgHiJkLm0xYz1234","amount":250000,"currency":"GBP","customer_email":"alex.smith@example.com"}}`)
	child := event("evt_cost_child", "tenant-a", t0)
	child.CorrelationID, child.Type, child.Status, child.Raw = root.ID, "email.send", store.StatusProcessed, nil
	buf.Reset()
	for _, ev := range []store.Event{root, child} {
		if _, dup, err := events.PutNew(ctx, ev); err != nil || dup {
			t.Fatalf("put %s: %v %v", ev.ID, dup, err)
		}
	}
	if err := events.MarkProcessed(ctx, root.ID, t0.Add(time.Second), root.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	got := capacities(t, &buf)
	want := []map[string]float64{
		{"": 2, store.IndexTenantTime: 1},
		{"": 1, store.IndexTenantTime: 1, store.IndexCorrelation: 1},
		{"": 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("units per index of: put root, put child, mark root\n got %v\nwant %v", got, want)
	}
	unmarked, err := events.Unmarked(ctx, "tenant-a", t0.Add(-time.Minute), t0.Add(time.Minute))
	if err != nil || len(unmarked) != 0 {
		t.Fatalf("unmarked events: %v %v", unmarked, err)
	}
	// The scheduler's check for events never queued: the tenant index's minute (half a unit
	// for up to 4 KB of entries) and the markers of the events not stored processed (the
	// root's alone), eventually consistent.
	if got, want := capacities(t, &buf), []map[string]float64{{"": 0, store.IndexTenantTime: 0.5}, {"": 0.5}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read units of the check for events never queued: got %v, want %v", got, want)
	}
	for _, ev := range []store.Event{root, child} {
		stored, err := events.Get(ctx, ev.ID)
		if err != nil || stored.Status != store.StatusProcessed || stored.ProcessedAt.IsZero() {
			t.Fatalf("%s read back: %v, status %q processed at %v", ev.ID, err, stored.Status, stored.ProcessedAt)
		}
	}

	out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tables["events"]), IndexName: aws.String(store.IndexCorrelation),
		KeyConditionExpression:    aws.String("correlation_id = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: root.ID}}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("the correlation index should hold the child alone: %v %v", out.Items, err)
	}
	stored, err := events.Get(ctx, root.ID)
	if err != nil || !bytes.Equal(stored.Raw, raw) || !bytes.Equal(stored.Envelope, root.Envelope) || stored.CorrelationID != root.ID {
		t.Fatalf("the root read back: %v, %+v", err, stored)
	}
	page, err := events.ListByTenant(ctx, "tenant-a", store.EventFilter{Type: "email.send"}, "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != child.ID || !bytes.Equal(page.Items[0].Envelope, child.Envelope) {
		t.Fatalf("the list by type reads the events whole through the index of keys and types: %v, %+v", err, page.Items)
	}
}
