package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func newStores(t *testing.T, rec *testenv.Recorder, timeout time.Duration) (*store.Connections, *store.Events) {
	t.Helper()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	tables := testenv.Tables(t, db)
	if rec != nil {
		db = testenv.DynamoDB(t, testenv.Config(timeout, rec.Middleware))
	}
	return &store.Connections{DB: db, Table: tables["connections"]}, &store.Events{DB: db, Table: tables["events"]}
}

func event(id, tenant string, at time.Time) store.Event {
	return store.Event{
		ID: id, TenantID: tenant, ConnectionID: "conn-1", Type: "payment.received", CorrelationID: id,
		Time: at, Envelope: []byte(`{"id":"` + id + `"}`), RawGzip: []byte{0x1f, 0x8b, 1, 2}, ReceivedAt: at,
		ExpiresAt: at.Add(30 * 24 * time.Hour),
	}
}

func TestConnectionsRoundTrip(t *testing.T) {
	conns, _ := newStores(t, nil, 0)
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
	_, events := newStores(t, nil, 0)
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
		string(got.RawGzip) != string(ev.RawGzip) || !got.Time.Equal(t0) || !got.ExpiresAt.Equal(ev.ExpiresAt) {
		t.Fatalf("stored event changed: %+v", got)
	}

	if err := events.MarkProcessed(ctx, "evt_a", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	existing, dup, err = events.PutNew(ctx, ev)
	if err != nil || !dup || existing.Status != store.StatusProcessed {
		t.Fatalf("put after processing: dup=%v status=%q err=%v", dup, existing.Status, err)
	}
	if err := events.MarkProcessed(ctx, "evt_missing", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("marking a missing event: got %v, want ErrNotFound", err)
	}
	if _, err := events.Get(ctx, "evt_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing event: got %v, want ErrNotFound", err)
	}
}

func TestListByTenantNewestFirstAndIsolated(t *testing.T) {
	_, events := newStores(t, nil, 0)
	ctx := context.Background()
	for i := range 5 {
		if _, _, err := events.PutNew(ctx, event(fmt.Sprintf("evt_t1_%d", i), "t1", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := events.PutNew(ctx, event("evt_t2_0", "t2", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	var ids []string
	cursor := ""
	for page := 0; ; page++ {
		got, next, err := events.ListByTenant(ctx, "t1", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range got {
			ids = append(ids, ev.ID)
		}
		if next == "" || page > 5 {
			break
		}
		cursor = next
	}
	want := []string{"evt_t1_4", "evt_t1_3", "evt_t1_2", "evt_t1_1", "evt_t1_0"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("tenant t1 listed %v, want %v", ids, want)
	}
}

func TestListUnprocessed(t *testing.T) {
	_, events := newStores(t, nil, 0)
	ctx := context.Background()
	for i, id := range []string{"evt_old1", "evt_old2", "evt_new"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		if id == "evt_new" {
			at = t0.Add(10 * time.Minute)
		}
		if _, _, err := events.PutNew(ctx, event(id, "t1", at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := events.MarkProcessed(ctx, "evt_old2", t0); err != nil {
		t.Fatal(err)
	}
	ids, err := events.ListUnprocessed(ctx, t0.Add(5*time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[evt_old1]" {
		t.Fatalf("unprocessed before cutoff = %v, want [evt_old1]", ids)
	}
}

func TestStoreFaultsAreErrors(t *testing.T) {
	rec := testenv.NewRecorder()
	conns, events := newStores(t, rec, testenv.FaultCallTimeout)
	ctx := context.Background()
	for _, op := range []string{"GetItem", "PutItem", "UpdateItem", "Query"} {
		rec.Inject(op, testenv.Fails)
	}
	checks := map[string]error{}
	_, checks["Connections.Get"] = conns.Get(ctx, "c1")
	checks["Connections.Put"] = conns.Put(ctx, store.Connection{ID: "c1"})
	_, _, checks["Events.PutNew"] = events.PutNew(ctx, event("evt_f", "t1", t0))
	_, checks["Events.Get"] = events.Get(ctx, "evt_f")
	checks["Events.MarkProcessed"] = events.MarkProcessed(ctx, "evt_f", t0)
	_, _, checks["Events.ListByTenant"] = events.ListByTenant(ctx, "t1", "", 10)
	_, checks["Events.ListUnprocessed"] = events.ListUnprocessed(ctx, t0, 10)
	for name, err := range checks {
		if !errors.Is(err, testenv.ErrInjected) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s under a failing call: got %v, want the injected error", name, err)
		}
	}
}
