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

func tables(t *testing.T) (map[string]string, store.DynamoDB) {
	t.Helper()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	return testenv.Tables(t, db), db
}

func TestConnectionsAreTenantOwned(t *testing.T) {
	names, db := tables(t)
	conns := &store.Connections{DB: db, Table: names["connections"]}
	ctx := context.Background()
	for i := range 5 {
		c := store.Connection{ID: fmt.Sprintf("c%d", i), TenantID: "a", Kind: "custom", Status: store.ConnectionActive,
			Config: map[string]string{"url": "https://x"}, CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if i == 4 {
			c.TenantID = "b"
		}
		if err := conns.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	cursor := ""
	for range 5 {
		page, err := conns.ListByTenant(ctx, "a", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(ids) != "[c0 c1 c2 c3]" {
		t.Fatalf("tenant a lists %v", ids)
	}
	got, _ := conns.Get(ctx, "c0")
	if got.Config["url"] != "https://x" {
		t.Fatalf("config lost: %+v", got)
	}
	got.TenantID = "b"
	if err := conns.Update(ctx, got); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("tenant b updated tenant a's connection: %v", err)
	}
	if err := conns.Delete(ctx, "b", "c0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("tenant b deleted tenant a's connection: %v", err)
	}
	if err := conns.Delete(ctx, "a", "c0"); err != nil {
		t.Fatal(err)
	}
	if _, err := conns.Get(ctx, "c0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted connection: %v", err)
	}
}

func TestSubscriptions(t *testing.T) {
	names, db := tables(t)
	subs := &store.Subscriptions{DB: db, Table: names["subscriptions"]}
	ctx := context.Background()
	for i := range 6 {
		sub := store.Subscription{ID: fmt.Sprintf("s%d", i), TenantID: "a", EndpointURL: "https://example.com/hook",
			EventTypes: []string{"payment.*"}, Active: i%2 == 0, Version: "2026-11-01", SealedSecrets: "sealed",
			RetryPolicy: &store.RetryPolicy{MaxAttempts: 3, BackoffStrategy: "linear", InitialDelaySeconds: 5},
			CreatedAt:   t0.Add(time.Duration(i) * time.Second), UpdatedAt: t0}
		if err := subs.Create(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := subs.Create(ctx, store.Subscription{ID: "s0", TenantID: "a"}); !errors.Is(err, store.ErrNotFound) && err == nil {
		t.Fatal("creating an existing id succeeded")
	}
	got, err := subs.Get(ctx, "s2")
	if err != nil || got.RetryPolicy == nil || got.RetryPolicy.MaxAttempts != 3 || got.EventTypes[0] != "payment.*" || !got.Active {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	page, err := subs.ListByTenant(ctx, "a", "", 2, func(s store.Subscription) bool { return s.Active })
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for page.Next != "" || len(page.Items) > 0 {
		for _, s := range page.Items {
			ids = append(ids, s.ID)
		}
		if page.Next == "" {
			break
		}
		if page, err = subs.ListByTenant(ctx, "a", page.Next, 2, func(s store.Subscription) bool { return s.Active }); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(ids) != "[s0 s2 s4]" {
		t.Fatalf("active subscriptions %v", ids)
	}
	got.TenantID = "b"
	if err := subs.Update(ctx, got); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("tenant b updated tenant a's subscription: %v", err)
	}
	if err := subs.Delete(ctx, "a", "s2"); err != nil {
		t.Fatal(err)
	}
}

func TestAPIKeysAndIdempotency(t *testing.T) {
	names, db := tables(t)
	ctx := context.Background()
	keys := &store.APIKeys{DB: db, Table: names["api_keys"]}
	hash := store.HashKey("wsk_secret")
	if err := keys.Put(ctx, store.APIKey{Hash: hash, TenantID: "a", TenantName: "Alpha", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if k, err := keys.Lookup(ctx, hash); err != nil || k.TenantID != "a" {
		t.Fatalf("Lookup = %+v, %v", k, err)
	}
	if _, err := keys.Lookup(ctx, store.HashKey("wsk_other")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}

	idem := &store.IdempotencyKeys{DB: db, Table: names["idempotency_keys"]}
	if _, claimed, err := idem.Begin(ctx, "a|POST /v1/x|k1", "h1", t0); err != nil || !claimed {
		t.Fatalf("first claim: %v %v", claimed, err)
	}
	if prev, claimed, err := idem.Begin(ctx, "a|POST /v1/x|k1", "h1", t0); err != nil || claimed || prev.Done {
		t.Fatalf("claim while pending: %+v %v %v", prev, claimed, err)
	}
	if err := idem.Finish(ctx, "a|POST /v1/x|k1", 201, "kms1.sealed"); err != nil {
		t.Fatal(err)
	}
	prev, claimed, err := idem.Begin(ctx, "a|POST /v1/x|k1", "h1", t0.Add(time.Hour))
	if err != nil || claimed || !prev.Done || prev.Status != 201 || prev.SealedBody != "kms1.sealed" || prev.RequestHash != "h1" {
		t.Fatalf("replay: %+v %v %v", prev, claimed, err)
	}
	if _, claimed, _ := idem.Begin(ctx, "a|POST /v1/x|k1", "h2", t0.Add(25*time.Hour)); !claimed {
		t.Fatal("an expired key was not reclaimable")
	}
	if err := idem.Abandon(ctx, "a|POST /v1/x|k1"); err != nil {
		t.Fatal(err)
	}
}
