package ingest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestConnectionRefreshOpensNothingUnchanged: a warm container reads its connection again
// when the cache's TTL ends, but opens its secrets (a KMS Decrypt) only when they changed;
// a rotation is seen at that read.
func TestConnectionRefreshOpensNothingUnchanged(t *testing.T) {
	ctx := context.Background()
	plain := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, plain)
	tables := testenv.Tables(t, db)
	kmsAdmin := testenv.KMS(t, plain)
	keyID := testenv.KMSKey(t, kmsAdmin)
	admin := &secrets.Envelope{Client: kmsAdmin, KeyID: keyID}
	conns := &store.Connections{DB: db, Table: tables["connections"]}
	scope := secrets.Scope{TenantID: tenant, ResourceID: "conn-refresh"}
	set := secrets.Set{{Secret: stripeSecret}}
	sealed, err := secrets.SealSet(ctx, admin, scope, set)
	if err != nil {
		t.Fatal(err)
	}
	conn := store.Connection{ID: "conn-refresh", TenantID: tenant, Kind: "stripe", Status: store.ConnectionActive, SealedSecrets: sealed, CreatedAt: now}
	if err := conns.Put(ctx, conn); err != nil {
		t.Fatal(err)
	}

	rec := testenv.NewRecorder()
	cfg := testenv.Config(testenv.CallTimeout, rec.Middleware)
	clock := now
	cache := &ingest.ConnectionCache{Store: &store.Connections{DB: testenv.DynamoDB(t, cfg), Table: tables["connections"]},
		Sealer: &secrets.Envelope{Client: testenv.KMS(t, cfg), KeyID: keyID}, TTL: time.Minute, Now: func() time.Time { return clock }}
	resolve := func(want map[string]int) ingest.Resolved {
		t.Helper()
		rec.Reset()
		r, err := cache.Resolve(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Calls(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("resolve at %s made %v, want %v", clock.Format(time.TimeOnly), got, want)
		}
		return r
	}
	resolve(map[string]int{"Decrypt": 1, "GetItem": 1})
	resolve(map[string]int{})
	clock = clock.Add(2 * time.Minute)
	resolve(map[string]int{"GetItem": 1})

	rotated := "whsec_rotated_for_the_refresh_test"
	if conn.SealedSecrets, err = secrets.SealSet(ctx, admin, scope, set.Rotate(rotated, clock)); err != nil {
		t.Fatal(err)
	}
	if err := conns.Put(ctx, conn); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Minute)
	r := resolve(map[string]int{"Decrypt": 1, "GetItem": 1})
	if !slices.Equal(r.Credentials.Secrets, []string{rotated, stripeSecret}) {
		t.Fatalf("after the rotation the secrets are %d, want the new one and the old one", len(r.Credentials.Secrets))
	}
}
