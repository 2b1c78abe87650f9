package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// quotaStores are the counted tables of one test, on fresh tables, through a recorder.
type quotaStores struct {
	subs  *store.CountedSubscriptions
	conns *store.CountedConnections
	plain *store.Subscriptions
	rec   *testenv.Recorder
}

func newQuotaStores(t *testing.T, subscriptions, connections int) quotaStores {
	return newQuotaStoresWithin(t, testenv.CallTimeout, subscriptions, connections)
}

// newQuotaStoresWithin is newQuotaStores with calls bounded by timeout.
func newQuotaStoresWithin(t *testing.T, timeout time.Duration, subscriptions, connections int) quotaStores {
	t.Helper()
	plain := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	names := testenv.Tables(t, plain)
	rec := testenv.NewRecorder()
	db := testenv.DynamoDB(t, testenv.Config(timeout, rec.Middleware))
	subs := &store.Subscriptions{DB: db, Table: names["subscriptions"]}
	return quotaStores{
		subs: &store.CountedSubscriptions{Subscriptions: subs, Tx: db,
			Quota: store.Quota{Counters: names["rate_limits"], Kind: "subscriptions", Limit: subscriptions}},
		conns: &store.CountedConnections{Connections: &store.Connections{DB: db, Table: names["connections"]}, Tx: db,
			Quota: store.Quota{Counters: names["rate_limits"], Kind: "connections", Limit: connections}},
		plain: subs,
		rec:   rec,
	}
}

func newSub(tenant string, i int) store.Subscription {
	return store.Subscription{ID: fmt.Sprintf("sub_%s_%02d", tenant, i), TenantID: tenant, EndpointURL: "https://a.example.com",
		EventTypes: []string{"*"}, Active: true, Version: "2026-11-01", SealedSecrets: "sealed", CreatedAt: t0, UpdatedAt: t0}
}

func countOf(t *testing.T, subs *store.Subscriptions, tenant string) int {
	t.Helper()
	page, err := subs.ListByTenant(context.Background(), tenant, "", 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

// TestQuotaHoldsUnderConcurrentCreates: twenty creates at once for a tenant with a quota of
// five store exactly five; the others are QuotaErrors; another tenant is unaffected; a
// delete frees one place and a create takes it.
func TestQuotaHoldsUnderConcurrentCreates(t *testing.T) {
	q := newQuotaStores(t, 5, 5)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = q.subs.Create(ctx, newSub("a", i)) })
	}
	wg.Wait()
	stored, refused := 0, 0
	for i, err := range errs {
		var qe *store.QuotaError
		switch {
		case err == nil:
			stored++
		case errors.Is(err, store.ErrQuotaExceeded) && errors.As(err, &qe) && qe.Limit == 5 && qe.Kind == "subscriptions":
			refused++
		case errors.Is(err, store.ErrConflict):
			t.Logf("create %d lost a transaction conflict: %v", i, err)
		default:
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if stored != 5 || countOf(t, q.plain, "a") != 5 || refused < 10 {
		t.Fatalf("stored %d (listed %d), refused %d; want 5 stored", stored, countOf(t, q.plain, "a"), refused)
	}
	for i := range 5 {
		if err := q.subs.Create(ctx, newSub("b", i)); err != nil {
			t.Fatalf("tenant b's create %d: %v", i, err)
		}
	}
	page, err := q.plain.ListByTenant(ctx, "a", "", 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.subs.Delete(ctx, "b", page.Items[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("tenant b deleting tenant a's subscription: %v", err)
	}
	if err := q.subs.Create(ctx, newSub("a", 50)); !errors.Is(err, store.ErrQuotaExceeded) {
		t.Fatalf("a failed foreign delete freed a place: %v", err)
	}
	if err := q.subs.Delete(ctx, "a", page.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := q.subs.Create(ctx, newSub("a", 51)); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	if err := q.subs.Create(ctx, newSub("a", 52)); !errors.Is(err, store.ErrQuotaExceeded) {
		t.Fatalf("the freed place was counted twice: %v", err)
	}
	if got := countOf(t, q.plain, "a"); got != 5 {
		t.Fatalf("tenant a keeps %d subscriptions", got)
	}
}

// TestQuotaStartsFromExistingItems: a tenant with items from before quotas (no counter)
// is counted from what it has, once; a refusal at the limit costs one call, no count.
func TestQuotaStartsFromExistingItems(t *testing.T) {
	q := newQuotaStores(t, 4, 2)
	ctx := context.Background()
	for i := range 3 {
		if err := q.plain.Create(ctx, newSub("old", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.subs.Create(ctx, newSub("old", 3)); err != nil {
		t.Fatalf("the fourth of four: %v", err)
	}
	q.rec.Reset()
	if err := q.subs.Create(ctx, newSub("old", 4)); !errors.Is(err, store.ErrQuotaExceeded) {
		t.Fatalf("the fifth of four: %v", err)
	}
	if calls := q.rec.Calls(); calls["TransactWriteItems"] != 1 || q.rec.Total() != 1 {
		t.Fatalf("a refusal at the limit made %v", calls)
	}
	fresh := newQuotaStores(t, 4, 2)
	for i := range 2 {
		if err := fresh.plain.Create(ctx, newSub("old", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fresh.subs.Delete(ctx, "old", newSub("old", 0).ID); err != nil {
		t.Fatalf("deleting before the counter starts: %v", err)
	}
	for i := 2; i < 5; i++ {
		if err := fresh.subs.Create(ctx, newSub("old", i)); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if err := fresh.subs.Create(ctx, newSub("old", 5)); !errors.Is(err, store.ErrQuotaExceeded) {
		t.Fatalf("a fifth of four after the counter started from one: %v", err)
	}
}

// TestConnectionQuota: connections are counted the same way, per tenant.
func TestConnectionQuota(t *testing.T) {
	q := newQuotaStores(t, 5, 2)
	ctx := context.Background()
	conn := func(tenant string, i int) store.Connection {
		return store.Connection{ID: fmt.Sprintf("conn_%s_%d", tenant, i), TenantID: tenant, Kind: "custom",
			Status: store.ConnectionActive, SealedSecrets: "sealed", CreatedAt: t0, UpdatedAt: t0}
	}
	for i := range 2 {
		if err := q.conns.Put(ctx, conn("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	var qe *store.QuotaError
	if err := q.conns.Put(ctx, conn("a", 2)); !errors.As(err, &qe) || qe.Kind != "connections" || qe.Limit != 2 {
		t.Fatalf("third of two: %v", err)
	}
	if err := q.conns.Put(ctx, conn("a", 0)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a counted put over an existing id: %v", err)
	}
	if err := q.conns.Put(ctx, conn("b", 0)); err != nil {
		t.Fatalf("tenant b: %v", err)
	}
	if err := q.conns.Delete(ctx, "a", conn("a", 1).ID); err != nil {
		t.Fatal(err)
	}
	if _, err := q.conns.Get(ctx, conn("a", 1).ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted connection: %v", err)
	}
	if err := q.conns.Put(ctx, conn("a", 3)); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
}

// TestQuotaFaultsAreErrors: a failing transaction, count or counter write is an error that
// is neither a quota refusal nor a missing item.
func TestQuotaFaultsAreErrors(t *testing.T) {
	q := newQuotaStoresWithin(t, testenv.FaultCallTimeout, 5, 5)
	ctx := context.Background()
	for _, op := range []string{"TransactWriteItems", "Query"} {
		t.Run(op, func(t *testing.T) {
			q.rec.Inject(op, testenv.Fails)
			defer q.rec.Inject(op, 0)
			checks := map[string]error{
				"Create": q.subs.Create(ctx, newSub("f-"+op, 0)),
				"Put":    q.conns.Put(ctx, store.Connection{ID: "conn_f_" + op, TenantID: "f-" + op}),
			}
			if op == "TransactWriteItems" {
				checks["Delete"] = q.subs.Delete(ctx, "f", "sub_f_00")
			}
			for name, err := range checks {
				if !errors.Is(err, testenv.ErrInjected) || errors.Is(err, store.ErrQuotaExceeded) || errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s under a failing %s: %v", name, op, err)
				}
			}
		})
	}
}

// TestTakeWindow: a key gets limit uses per window, then refusals until the window ends;
// other keys and the next window are unaffected.
func TestTakeWindow(t *testing.T) {
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	limits := &store.RateLimits{DB: db, Table: testenv.Tables(t, db)["rate_limits"]}
	ctx := context.Background()
	at := t0.Add(20 * time.Second)
	for i := range 2 {
		if ok, _, err := limits.TakeWindow(ctx, "replay#a", 2, time.Minute, at.Add(time.Duration(i)*time.Second)); !ok || err != nil {
			t.Fatalf("use %d: %v %v", i+1, ok, err)
		}
	}
	ok, retryAt, err := limits.TakeWindow(ctx, "replay#a", 2, time.Minute, at.Add(30*time.Second))
	if ok || err != nil || !retryAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("third use in the minute: ok=%v retryAt=%v err=%v", ok, retryAt, err)
	}
	if ok, _, err := limits.TakeWindow(ctx, "replay#b", 2, time.Minute, at); !ok || err != nil {
		t.Fatalf("another key: %v %v", ok, err)
	}
	if ok, _, err := limits.TakeWindow(ctx, "replay#a", 2, time.Minute, t0.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("the next minute: %v %v", ok, err)
	}
	rec := testenv.NewRecorder()
	rec.Inject("UpdateItem", testenv.Fails)
	faulty := &store.RateLimits{DB: testenv.DynamoDB(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware)), Table: limits.Table}
	if ok, _, err := faulty.TakeWindow(ctx, "replay#c", 2, time.Minute, at); ok || !errors.Is(err, testenv.ErrInjected) {
		t.Fatalf("a failing count: %v %v", ok, err)
	}
}

// conflicting answers its first n transactions as DynamoDB does when another transaction
// holds an item, then passes them on.
type conflicting struct {
	store.TransactDB
	n     int
	tries int
}

func (c *conflicting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.tries++
	if c.tries <= c.n {
		return nil, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}}}
	}
	return c.TransactDB.TransactWriteItems(ctx, in, opts...)
}

// TestQuotaRetriesTransactionConflicts: a counted write that loses to a concurrent
// transaction tries again; one that keeps losing is ErrConflict (try the request again),
// never a quota refusal.
func TestQuotaRetriesTransactionConflicts(t *testing.T) {
	q := newQuotaStores(t, 5, 5)
	ctx := context.Background()
	db := q.subs.Tx
	q.subs.Tx = &conflicting{TransactDB: db, n: 2}
	if err := q.subs.Create(ctx, newSub("a", 0)); err != nil {
		t.Fatalf("after two conflicts: %v", err)
	}
	q.subs.Tx = &conflicting{TransactDB: db, n: 100}
	if err := q.subs.Create(ctx, newSub("a", 1)); !errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrQuotaExceeded) {
		t.Fatalf("always conflicting create: %v", err)
	}
	if err := q.subs.Delete(ctx, "a", newSub("a", 0).ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("always conflicting delete: %v", err)
	}
	q.subs.Tx = db
	if got := countOf(t, q.plain, "a"); got != 1 {
		t.Fatalf("tenant a keeps %d subscriptions, want 1", got)
	}
	for i := 2; i < 6; i++ {
		if err := q.subs.Create(ctx, newSub("a", i)); err != nil {
			t.Fatalf("create %d: a lost transaction was counted: %v", i, err)
		}
	}
}
