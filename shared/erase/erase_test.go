package erase_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/erase/erasetest"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type world struct {
	eraser *erase.Eraser
	sealer secrets.Sealer
	tables map[string]string
	scan   func() map[string][]map[string]types.AttributeValue
	seeded erasetest.Seeded
}

func newWorld(t *testing.T) world {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	k := testenv.KMS(t, cfg)
	sealer := &secrets.Envelope{Client: k, KeyID: testenv.KMSKey(t, k)}
	w := world{sealer: sealer, tables: tables, eraser: &erase.Eraser{DB: db, Tables: tables, Sealer: sealer, PageSize: 3},
		scan: func() map[string][]map[string]types.AttributeValue { return testenv.ScanAll(t, db, tables) }}
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		w.seeded = erasetest.Seed(t, db, tables, sealer, tenant, t0)
	}
	return w
}

// keyed indexes a scan by table and the item's whole content, so unchanged items compare.
func byKey(scan map[string][]map[string]types.AttributeValue) map[string]map[string]types.AttributeValue {
	out := map[string]map[string]types.AttributeValue{}
	for table, items := range scan {
		for _, item := range items {
			for _, k := range []string{"id", "scope", "key_hash", "bucket"} {
				if v, ok := item[k].(*types.AttributeValueMemberS); ok {
					out[table+"/"+v.Value] = item
					break
				}
			}
		}
	}
	return out
}

// TestEraseLeavesTheAddressNowhere is acceptance 3: after an erasure, no item of the tenant
// in any table holds the address, in any case or encoding (gzip, JSON escapes, percent
// encoding, sealed answers), every item that did not hold it and every other tenant's item is
// byte for byte as it was, and the events still decode.
func TestEraseLeavesTheAddressNowhere(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	before := w.scan()
	holding := 0
	for _, items := range before {
		for _, item := range items {
			if erasetest.Owner(item) == "tenant-a" && testenv.ItemHolds(item, erasetest.Address, erasetest.Opener(ctx, w.sealer, item)) {
				holding++
			}
		}
	}
	if want := 6 + 1 + 2; holding != want {
		t.Fatalf("the seed holds the address in %d of tenant-a's items, want %d", holding, want)
	}
	res, err := w.eraser.Run(ctx, erase.Request{TenantID: "tenant-a", Address: "  jane.doe+WEDDING@example.com "}, erase.State{}, time.Time{}, nil)
	if err != nil || !res.Done {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	for table, n := range w.seeded.Holding {
		if got := res.State.Counts[table+".changed"]; got != n {
			t.Errorf("%s: %d changed, want %d", table, got, n)
		}
	}
	if got := res.State.Counts[topology.TableIdempotencyKeys+".deleted"]; got != 1 {
		t.Errorf("%d remembered answers deleted, want 1 (its key held the address)", got)
	}
	for _, c := range res.Changes {
		if strings.Contains(strings.ToLower(c.Key), "jane.doe") {
			t.Errorf("a change shows the address in its key: %+v", c)
		}
	}

	after := w.scan()
	old := byKey(before)
	for table, items := range after {
		for _, item := range items {
			if erasetest.Owner(item) == "tenant-a" {
				if testenv.ItemHolds(item, erasetest.Address, erasetest.Opener(ctx, w.sealer, item)) {
					t.Errorf("%s still holds the address: %v", table, item["id"])
				}
				continue
			}
		}
	}
	now := byKey(after)
	for k, item := range old {
		owner := erasetest.Owner(item)
		holds := testenv.ItemHolds(item, erasetest.Address, erasetest.Opener(ctx, w.sealer, item))
		if owner == "tenant-a" && holds {
			continue
		}
		if !reflect.DeepEqual(item, now[k]) {
			t.Errorf("%s changed (owner %s, held the address: %v)", k, owner, holds)
		}
	}
	events := &store.Events{DB: w.eraser.DB.(store.DynamoDB), Table: w.tables[topology.TableEvents]}
	ev, err := events.Get(ctx, "evt_tenant-a_mailchimp")
	if err != nil || !json.Valid(ev.Envelope) || !strings.Contains(string(ev.Raw), "data%5Bemail%5D="+erase.Placeholder) {
		t.Errorf("erased event: %s / %s, %v", ev.Envelope, ev.Raw, err)
	}

	again, err := w.eraser.Run(ctx, erase.Request{TenantID: "tenant-a", Address: erasetest.Address}, erase.State{}, time.Time{}, nil)
	if err != nil || len(again.Changes) != 0 {
		t.Errorf("a second run changed %v, %v", again.Changes, err)
	}
}

// TestEraseDryRunChangesNothing: a dry run reports what a run would change and every
// table is as it was.
func TestEraseDryRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	before := w.scan()
	res, err := w.eraser.Run(ctx, erase.Request{TenantID: "tenant-a", Address: erasetest.Address, DryRun: true}, erase.State{}, time.Time{}, nil)
	if err != nil || len(res.Changes) != 6+1+2 {
		t.Fatalf("dry run: %d changes, %v", len(res.Changes), err)
	}
	if after := w.scan(); !reflect.DeepEqual(byKey(before), byKey(after)) {
		t.Error("a dry run changed a table")
	}
}

// TestEraseResumesFromItsState: a run stopped by its time limit and resumed from the state
// it returned ends as one run does.
func TestEraseResumesFromItsState(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	clock := t0
	w.eraser.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	st, runs := erase.State{}, 0
	var changed int
	for {
		runs++
		res, err := w.eraser.Run(ctx, erase.Request{TenantID: "tenant-a", Address: erasetest.Address}, st, clock.Add(2*time.Second), nil)
		if err != nil {
			t.Fatal(err)
		}
		changed += len(res.Changes)
		if st = res.State; res.Done {
			break
		}
		if runs > 50 {
			t.Fatal("no end")
		}
	}
	if runs < 3 || changed != 6+1+2 || st.Counts["events.changed"] != 6 {
		t.Errorf("%d runs, %d changes, counts %v", runs, changed, st.Counts)
	}
}

// TestEraseRereadsAnItemThatChanged: an attempt logged between the read and the rewrite
// is kept, and the address is erased from it too.
func TestEraseRereadsAnItemThatChanged(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	deliveries := &store.Deliveries{DB: w.eraser.DB.(store.DynamoDB), Table: w.tables[topology.TableDeliveries]}
	racer := &raceDB{DynamoDB: w.eraser.DB, table: w.tables[topology.TableDeliveries], before: func(db erase.DynamoDB) {
		attempt, err := attributevalue.MarshalMap(store.Attempt{Number: 3, At: t0, StatusCode: 500, Response: "jane.doe+wedding@example.com again"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(w.tables[topology.TableDeliveries]), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "dlv_tenant-a_1"}},
			UpdateExpression:          aws.String("SET attempts = list_append(attempts, :a)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: attempt}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}}
	w.eraser.DB = racer
	if _, err := w.eraser.Run(ctx, erase.Request{TenantID: "tenant-a", Address: erasetest.Address}, erase.State{}, time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	d, err := deliveries.Get(ctx, "dlv_tenant-a_1")
	if err != nil || len(d.Attempts) != 3 || d.Attempts[2].Response != erase.Placeholder+" again" || racer.raced != 1 {
		t.Errorf("delivery after a race: %+v, %v (raced %d)", d.Attempts, err, racer.raced)
	}
}

// raceDB changes an item of table once, just before the erasure's first rewrite of it.
type raceDB struct {
	erase.DynamoDB
	table  string
	before func(erase.DynamoDB)
	raced  int
}

func (r *raceDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if aws.ToString(in.TableName) == r.table && r.raced == 0 {
		r.raced++
		r.before(r.DynamoDB)
	}
	return r.DynamoDB.UpdateItem(ctx, in, opts...)
}
