package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// TestAPIKeyLifecycle: keys are listed per tenant with their metadata, revoked once (the
// first revocation time is kept), never across tenants; a key without a tenant is not stored.
func TestAPIKeyLifecycle(t *testing.T) {
	names, db := tables(t)
	ctx := context.Background()
	keys := &store.APIKeys{DB: db, Table: names["api_keys"]}
	for i := range 5 {
		k := store.APIKey{Hash: store.HashKey(fmt.Sprintf("wsk_%d", i)), ID: fmt.Sprintf("key_%d", i), TenantID: "a",
			Name: fmt.Sprintf("key %d", i), Prefix: fmt.Sprintf("wsk_%d", i), CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if i == 2 {
			k.ExpiresAt = t0.Add(time.Hour)
		}
		if i == 4 {
			k.TenantID = "b"
		}
		if err := keys.Put(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	var listed []store.APIKey
	cursor := ""
	for range 5 {
		page, err := keys.ListByTenant(ctx, "a", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, page.Items...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(listed) != 4 || listed[0].ID != "key_0" || listed[3].ID != "key_3" || listed[2].ExpiresAt.IsZero() || listed[1].Prefix != "wsk_1" || listed[1].Name != "key 1" {
		t.Fatalf("tenant a's keys: %+v", listed)
	}

	revoked, err := keys.Revoke(ctx, "a", "key_1", t0.Add(time.Minute))
	if err != nil || !revoked.RevokedAt.Equal(t0.Add(time.Minute)) || revoked.Status(t0.Add(time.Hour)) != store.KeyRevoked {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	again, err := keys.Revoke(ctx, "a", "key_1", t0.Add(time.Hour))
	if err != nil || !again.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("second Revoke = %+v, %v", again, err)
	}
	if got, err := keys.Lookup(ctx, store.HashKey("wsk_1")); err != nil || got.RevokedAt.IsZero() || got.TenantID != "a" {
		t.Fatalf("Lookup after revocation = %+v, %v", got, err)
	}
	if _, err := keys.Revoke(ctx, "a", "key_4", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("tenant a revoked tenant b's key: %v", err)
	}
	if _, err := keys.Revoke(ctx, "a", "key_missing", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking an unknown key: %v", err)
	}
	if b, _ := keys.Lookup(ctx, store.HashKey("wsk_4")); !b.RevokedAt.IsZero() {
		t.Fatal("tenant b's key was revoked")
	}
	if err := keys.Put(ctx, store.APIKey{Hash: store.HashKey("wsk_orphan"), CreatedAt: t0}); !errors.Is(err, store.ErrNoTenant) {
		t.Fatalf("a key without a tenant was stored: %v", err)
	}
}

// TestAPIKeyStatus: revoked wins over expired; a key expires at its expiry time exactly.
func TestAPIKeyStatus(t *testing.T) {
	k := store.APIKey{ExpiresAt: t0}
	for _, tc := range []struct {
		key  store.APIKey
		at   time.Time
		want string
	}{
		{store.APIKey{}, t0, store.KeyActive},
		{k, t0.Add(-time.Nanosecond), store.KeyActive},
		{k, t0, store.KeyExpired},
		{store.APIKey{ExpiresAt: t0, RevokedAt: t0.Add(-time.Hour)}, t0.Add(time.Hour), store.KeyRevoked},
		{store.APIKey{RevokedAt: t0}, t0.Add(-time.Hour), store.KeyRevoked},
	} {
		if got := tc.key.Status(tc.at); got != tc.want {
			t.Errorf("%+v at %s: %s, want %s", tc.key, tc.at, got, tc.want)
		}
	}
}

// TestLegacyKeysGetAnID: a key stored without an id (the local stack's seed, make tenant)
// gets one derived from its hash, and can be listed and revoked.
func TestLegacyKeysGetAnID(t *testing.T) {
	names, db := tables(t)
	ctx := context.Background()
	keys := &store.APIKeys{DB: db, Table: names["api_keys"]}
	hash := store.HashKey("wsk_dev")
	if err := keys.Put(ctx, store.APIKey{Hash: hash, TenantID: "dev", TenantName: "Dev tenant", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	page, err := keys.ListByTenant(ctx, "dev", "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != "key_"+hash[:20] {
		t.Fatalf("list = %+v, %v", page, err)
	}
	if _, err := keys.Revoke(ctx, "dev", "key_"+hash[:20], t0); err != nil {
		t.Fatal(err)
	}
}
