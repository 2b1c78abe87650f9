package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func newStores(t *testing.T) (*store.Connections, *store.Events) {
	t.Helper()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	tables := testenv.Tables(t, db)
	return &store.Connections{DB: db, Table: tables["connections"]}, &store.Events{DB: db, Table: tables["events"]}
}

func event(id, tenant string, at time.Time) store.Event {
	return store.Event{
		ID: id, TenantID: tenant, ConnectionID: "conn-1", Type: "payment.received", CorrelationID: id,
		Time: at, Envelope: []byte(`{"id":"` + id + `"}`), Raw: []byte("raw body\x00with a NUL"), ReceivedAt: at,
		ExpiresAt: at.Add(30 * 24 * time.Hour),
	}
}

func TestConnectionsRoundTrip(t *testing.T) {
	conns, _ := newStores(t)
	ctx := context.Background()
	want := store.Connection{ID: "c1", TenantID: "t1", Kind: "stripe", Status: store.ConnectionActive,
		SealedSecrets: "plain:[]", CreatedAt: t0}
	if err := conns.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := conns.Get(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Kind != want.Kind || got.Status != want.Status ||
		got.SealedSecrets != "plain:[]" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := conns.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing connection: got %v, want ErrNotFound", err)
	}
}

func TestPutNewIsIdempotent(t *testing.T) {
	_, events := newStores(t)
	ctx := context.Background()
	ev := event("evt_a", "t1", t0)
	if _, dup, err := events.PutNew(ctx, ev); err != nil || dup {
		t.Fatalf("first put: dup=%v err=%v", dup, err)
	}
	changed := ev
	changed.Type = "payment.failed"
	existing, dup, err := events.PutNew(ctx, changed)
	if err != nil || !dup {
		t.Fatalf("second put: dup=%v err=%v", dup, err)
	}
	if existing.Status != store.StatusReceived || existing.Type != "payment.received" {
		t.Fatalf("duplicate should return the stored event unchanged, got %+v", existing)
	}
	got, err := events.Get(ctx, "evt_a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "payment.received" || string(got.Envelope) != string(ev.Envelope) ||
		string(got.Raw) != string(ev.Raw) || !got.Time.Equal(t0) || !got.ExpiresAt.Equal(ev.ExpiresAt) {
		t.Fatalf("stored event changed: %+v", got)
	}

	if err := events.MarkProcessed(ctx, "evt_a", t0.Add(time.Second), ev.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	existing, dup, err = events.PutNew(ctx, ev)
	if err != nil || !dup || existing.Status != store.StatusProcessed || !existing.ProcessedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("put after processing: dup=%v status=%q at %v err=%v", dup, existing.Status, existing.ProcessedAt, err)
	}
	if _, err := events.Get(ctx, "evt_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing event: got %v, want ErrNotFound", err)
	}
}

// TestProcessedMarker: an event's processed status is a marker beside it: Get and the list
// report the status and the first processing time; the event's item is unchanged; the
// marker expires with the event, is in no index and is never read as an event; an event
// stored processed reports so without a marker.
func TestProcessedMarker(t *testing.T) {
	_, events := newStores(t)
	ctx := context.Background()
	ev := event("evt_m", "t1", t0)
	if _, _, err := events.PutNew(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got, err := events.Get(ctx, ev.ID); err != nil || got.Status != store.StatusReceived || !got.ProcessedAt.IsZero() {
		t.Fatalf("before processing: %q %v %v", got.Status, got.ProcessedAt, err)
	}
	if err := events.MarkProcessed(ctx, ev.ID, t0.Add(time.Minute), ev.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if err := events.MarkProcessed(ctx, ev.ID, t0.Add(time.Hour), ev.ExpiresAt); err != nil {
		t.Fatalf("marking again: %v", err)
	}
	got, err := events.Get(ctx, ev.ID)
	if err != nil || got.Status != store.StatusProcessed || !got.ProcessedAt.Equal(t0.Add(time.Minute)) || string(got.Raw) != string(ev.Raw) {
		t.Fatalf("after processing: %q %v %v", got.Status, got.ProcessedAt, err)
	}
	eventually, err := events.GetEventually(ctx, ev.ID)
	if err != nil || string(eventually.Envelope) != string(ev.Envelope) {
		t.Fatalf("the item read alone: %+v %v", eventually, err)
	}
	child := event("evt_stored_processed", "t1", t0.Add(time.Second))
	child.Status, child.ProcessedAt = store.StatusProcessed, t0.Add(2*time.Second)
	if _, _, err := events.PutNew(ctx, child); err != nil {
		t.Fatal(err)
	}
	page, err := events.ListByTenant(ctx, "t1", store.EventFilter{}, "", 10)
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("list: %d events %v", len(page.Items), err)
	}
	for _, item := range page.Items {
		want := map[string]time.Time{ev.ID: t0.Add(time.Minute), child.ID: t0.Add(2 * time.Second)}[item.ID]
		if item.Status != store.StatusProcessed || !item.ProcessedAt.Equal(want) {
			t.Fatalf("listed %s: %q at %v, want processed at %v", item.ID, item.Status, item.ProcessedAt, want)
		}
	}
	if _, err := events.Get(ctx, store.ProcessedKey(ev.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the marker read as an event: %v", err)
	}
	marker, err := events.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(events.Table),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: store.ProcessedKey(ev.ID)}}})
	if err != nil || len(marker.Item) != 3 || marker.Item["expires_at"].(*types.AttributeValueMemberN).Value != strconv.FormatInt(ev.ExpiresAt.Unix(), 10) {
		t.Fatalf("the marker: %v %v; want its key, processed_at and the event's expires_at", marker.Item, err)
	}
	if id, ok := store.ProcessedEventOf(store.ProcessedKey(ev.ID)); !ok || id != ev.ID {
		t.Fatalf("ProcessedEventOf = %q %v", id, ok)
	}
	if _, ok := store.ProcessedEventOf(ev.ID); ok {
		t.Fatal("an event id read as a marker's")
	}
}

func TestListByTenantNewestFirstAndIsolated(t *testing.T) {
	_, events := newStores(t)
	ctx := context.Background()
	for i := range 5 {
		if _, _, err := events.PutNew(ctx, event(fmt.Sprintf("evt_t1_%d", i), "t1", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := events.PutNew(ctx, event("evt_t2_0", "t2", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	list := func(f store.EventFilter, pageSize int32) []string {
		var ids []string
		cursor := ""
		for page := 0; page < 10; page++ {
			got, err := events.ListByTenant(ctx, "t1", f, cursor, pageSize)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range got.Items {
				ids = append(ids, ev.ID)
			}
			if got.Next == "" {
				break
			}
			cursor = got.Next
		}
		return ids
	}
	want := []string{"evt_t1_4", "evt_t1_3", "evt_t1_2", "evt_t1_1", "evt_t1_0"}
	if ids := list(store.EventFilter{}, 2); fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("tenant t1 listed %v, want %v", ids, want)
	}
	if ids := list(store.EventFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, 2); fmt.Sprint(ids) != "[evt_t1_3 evt_t1_2 evt_t1_1]" {
		t.Fatalf("time range listed %v", ids)
	}
	if ids := list(store.EventFilter{Type: "payment.failed"}, 2); len(ids) != 0 {
		t.Fatalf("type filter listed %v", ids)
	}
	if _, err := events.ListByTenant(ctx, "t1", store.EventFilter{}, "!!", 2); !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("a bad cursor: %v", err)
	}
}

// TestSweepIndex: a stored event is in no sweep index until it enters it (the fault path);
// a sweep reports whether each event it finds was processed; a processed one leaves the
// index, unless another sweep moved it since; entering again keeps the sweep time.
func TestSweepIndex(t *testing.T) {
	_, events := newStores(t)
	ctx := context.Background()
	for i, id := range []string{"evt_old1", "evt_old2", "evt_new", "evt_quiet"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		if id == "evt_new" {
			at = t0.Add(10 * time.Minute)
		}
		if _, _, err := events.PutNew(ctx, event(id, "t1", at)); err != nil {
			t.Fatal(err)
		}
		if id == "evt_quiet" {
			continue
		}
		if err := events.EnterSweep(ctx, id, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := events.EnterSweep(ctx, "evt_old1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := events.EnterSweep(ctx, "evt_missing", t0); err != nil {
		t.Fatalf("entering a missing event: %v", err)
	}
	if err := events.MarkProcessed(ctx, "evt_old2", t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	found, _, err := events.SweepUnprocessed(ctx, t0.Add(5*time.Minute), 100, store.SweepCursor{})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(found, func(a, b store.Swept) int { return strings.Compare(a.ID, b.ID) })
	if fmt.Sprint(found) != fmt.Sprint([]store.Swept{{ID: "evt_old1", At: t0}, {ID: "evt_old2", At: t0.Add(time.Minute), Processed: true}}) {
		t.Fatalf("swept before the cutoff: %+v", found)
	}
	if err := events.LeaveSweep(ctx, store.Swept{ID: "evt_old1", At: t0.Add(time.Second)}); err != nil {
		t.Fatalf("a stale leave: %v", err)
	}
	if err := events.LeaveSweep(ctx, found[1]); err != nil {
		t.Fatal(err)
	}
	ids, err := events.ListUnprocessed(ctx, t0.Add(time.Hour), 100)
	if err != nil || fmt.Sprint(ids) != "[evt_old1 evt_new]" && fmt.Sprint(ids) != "[evt_new evt_old1]" {
		t.Fatalf("the index after the processed event left: %v %v", ids, err)
	}
}

func TestStoreFaultsAreErrors(t *testing.T) {
	plain := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	names := testenv.Tables(t, plain)
	rec := testenv.NewRecorder()
	db := testenv.DynamoDB(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware))
	conns := &store.Connections{DB: db, Table: names["connections"]}
	events := &store.Events{DB: db, Table: names["events"]}
	subs := &store.Subscriptions{DB: db, Table: names["subscriptions"]}
	keys := &store.APIKeys{DB: db, Table: names["api_keys"]}
	idem := &store.IdempotencyKeys{DB: db, Table: names["idempotency_keys"]}
	ctx := context.Background()
	for _, op := range []string{"GetItem", "PutItem", "UpdateItem", "Query", "DeleteItem", "BatchGetItem"} {
		rec.Inject(op, testenv.Fails)
	}
	checks := map[string]error{}
	_, checks["Connections.Get"] = conns.Get(ctx, "c1")
	checks["Connections.Put"] = conns.Put(ctx, store.Connection{ID: "c1"})
	checks["Connections.Update"] = conns.Update(ctx, store.Connection{ID: "c1", TenantID: "t"})
	checks["Connections.Delete"] = conns.Delete(ctx, "t", "c1")
	_, checks["Connections.ListByTenant"] = conns.ListByTenant(ctx, "t", "", 10)
	_, _, checks["Events.PutNew"] = events.PutNew(ctx, event("evt_f", "t1", t0))
	_, checks["Events.Get"] = events.Get(ctx, "evt_f")
	checks["Events.MarkProcessed"] = events.MarkProcessed(ctx, "evt_f", t0, t0)
	checks["Events.EnterSweep"] = events.EnterSweep(ctx, "evt_f", t0)
	checks["Events.LeaveSweep"] = events.LeaveSweep(ctx, store.Swept{ID: "evt_f", At: t0})
	_, checks["Events.ProcessedAt"] = events.ProcessedAt(ctx, []string{"evt_f"})
	_, checks["Events.ListByTenant"] = events.ListByTenant(ctx, "t1", store.EventFilter{}, "", 10)
	_, checks["Events.ListUnprocessed"] = events.ListUnprocessed(ctx, t0, 10)
	_, _, checks["Events.SweepUnprocessed"] = events.SweepUnprocessed(ctx, t0, 10, store.SweepCursor{})
	_, checks["Events.MoveSweep"] = events.MoveSweep(ctx, store.Swept{ID: "evt_f", At: t0}, t0)
	checks["Subscriptions.Create"] = subs.Create(ctx, store.Subscription{ID: "s", TenantID: "t"})
	checks["Subscriptions.Update"] = subs.Update(ctx, store.Subscription{ID: "s", TenantID: "t"})
	_, checks["Subscriptions.Get"] = subs.Get(ctx, "s")
	checks["Subscriptions.Delete"] = subs.Delete(ctx, "t", "s")
	_, checks["Subscriptions.ListByTenant"] = subs.ListByTenant(ctx, "t", "", 10, nil)
	checks["APIKeys.Put"] = keys.Put(ctx, store.APIKey{Hash: "h", TenantID: "t"})
	_, checks["APIKeys.Lookup"] = keys.Lookup(ctx, "h")
	_, checks["APIKeys.ListByTenant"] = keys.ListByTenant(ctx, "t", "", 10)
	_, checks["APIKeys.Revoke"] = keys.Revoke(ctx, "t", "key_1", t0)
	_, _, checks["IdempotencyKeys.Begin"] = idem.Begin(ctx, "s", "h", t0)
	checks["IdempotencyKeys.Finish"] = idem.Finish(ctx, "s", 200, "")
	checks["IdempotencyKeys.Abandon"] = idem.Abandon(ctx, "s")
	_, checks["Events.NextReplay"] = events.NextReplay(ctx, "evt_f")
	deliveries := &store.Deliveries{DB: db, Table: names["deliveries"]}
	d := store.Delivery{ID: "dlv_f", TenantID: "t", Status: store.DeliveryPending, NextAttemptAt: t0, CreatedAt: t0}
	_, checks["Deliveries.Create"] = deliveries.Create(ctx, d)
	_, checks["Deliveries.Get"] = deliveries.Get(ctx, "dlv_f")
	_, checks["Deliveries.Lease"] = deliveries.Lease(ctx, "dlv_f", "o", t0, t0.Add(time.Minute))
	_, checks["Deliveries.Release"] = deliveries.Release(ctx, d, "o", store.Outcome{Status: store.DeliveryDelivered, At: t0})
	_, checks["Deliveries.ListBySubscription"] = deliveries.ListBySubscription(ctx, "s", "", 10)
	_, _, checks["Deliveries.ListDue"] = deliveries.ListDue(ctx, t0, 10, store.SweepCursor{})
	checks["Deliveries.Reschedule"] = deliveries.Reschedule(ctx, "t", "dlv_f", t0)
	_, checks["Deliveries.CreateOrLease"] = deliveries.CreateOrLease(ctx, d, "o", t0, t0.Add(time.Minute))
	checks["Subscriptions.RecordSuccess"] = subs.RecordSuccess(ctx, "s", t0)
	checks["Subscriptions.ClearFast"] = subs.ClearFast(ctx, "s")
	checks["Subscriptions.RecordFailure"] = subs.RecordFailure(ctx, "s", t0, t0)
	_, _, checks["Subscriptions.ClaimProbe"] = subs.ClaimProbe(ctx, "s", t0, t0)
	_, checks["Subscriptions.Disable"] = subs.Disable(ctx, "s", "why", t0)
	limits := &store.RateLimits{DB: db, Table: names["rate_limits"]}
	_, checks["RateLimits.Take"] = limits.Take(ctx, "k", 1, t0)
	_, checks["RateLimits.Reserve"] = limits.Reserve(ctx, "k", 1, t0)
	_, checks["RateLimits.ClaimSlot"] = limits.ClaimSlot(ctx, "k", 1, t0, t0)
	checks["RateLimits.FreeSlot"] = limits.FreeSlot(ctx, "k")
	for name, err := range checks {
		if !errors.Is(err, testenv.ErrInjected) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s under a failing call: got %v, want the injected error", name, err)
		}
	}
}
