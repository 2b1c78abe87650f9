package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/store"
)

// TestConnectionUpdateNeedsTheLatestRevision: of two changes made from one read, the second
// is refused with ErrConflict; re-applied to a fresh read, both stand. Attributes the API
// does not own are never touched.
func TestConnectionUpdateNeedsTheLatestRevision(t *testing.T) {
	names, db := tables(t)
	conns := &store.Connections{DB: db, Table: names["connections"]}
	ctx := context.Background()
	if err := conns.Put(ctx, store.Connection{ID: "c1", TenantID: "a", Kind: "custom", Status: store.ConnectionActive,
		SealedSecrets: "first", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(names["connections"]),
		Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "c1"}},
		UpdateExpression: aws.String("SET other_writer = :x"), ExpressionAttributeValues: map[string]types.AttributeValue{
			":x": &types.AttributeValueMemberS{Value: "kept"}}}); err != nil {
		t.Fatal(err)
	}
	read, err := conns.Get(ctx, "c1")
	if err != nil || read.Revision != 0 {
		t.Fatalf("a connection without a version reads as revision 0: %d, %v", read.Revision, err)
	}
	disable := func(c store.Connection) store.Connection { c.Status = store.ConnectionDisabled; return c }
	rotate := func(c store.Connection) store.Connection { c.SealedSecrets = "rotated"; return c }
	if err := conns.Update(ctx, disable(read)); err != nil {
		t.Fatal(err)
	}
	if err := conns.Update(ctx, rotate(read)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a write from a stale read: got %v, want ErrConflict", err)
	}
	fresh, err := conns.Get(ctx, "c1")
	if err != nil || fresh.Revision != 1 || fresh.SealedSecrets != "first" {
		t.Fatalf("after one write: %+v, %v", fresh, err)
	}
	if err := conns.Update(ctx, rotate(fresh)); err != nil {
		t.Fatal(err)
	}
	got, err := conns.Get(ctx, "c1")
	if err != nil || got.Status != store.ConnectionDisabled || got.SealedSecrets != "rotated" || got.Revision != 2 || got.Kind != "custom" {
		t.Fatalf("after both writes: %+v, %v", got, err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(names["connections"]),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "c1"}}})
	if v, ok := out.Item["other_writer"].(*types.AttributeValueMemberS); err != nil || !ok || v.Value != "kept" {
		t.Fatalf("Update dropped an attribute it does not own: %v", err)
	}

	other := got
	other.TenantID = "b"
	if err := conns.Update(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another tenant's update: got %v, want ErrNotFound", err)
	}
	missing := got
	missing.ID = "nope"
	if err := conns.Update(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing connection: got %v, want ErrNotFound", err)
	}
	if _, err := conns.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update created a connection: %v", err)
	}
}

// TestSubscriptionUpdateLosesToDisableAndKeepsHealth: Disable moves the revision on, so an
// Update read before it fails; Update never writes the endpoint health.
func TestSubscriptionUpdateLosesToDisableAndKeepsHealth(t *testing.T) {
	names, db := tables(t)
	subs := &store.Subscriptions{DB: db, Table: names["subscriptions"]}
	ctx := context.Background()
	if err := subs.Create(ctx, store.Subscription{ID: "s1", TenantID: "a", EndpointURL: "https://example.com/hook",
		EventTypes: []string{"*"}, Active: true, Version: "2026-11-01", SealedSecrets: "sealed",
		Headers: map[string]string{"x-a": "1"}, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	read, err := subs.Get(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(names["subscriptions"]),
		Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "s1"}},
		UpdateExpression: aws.String("SET failing_since = :t ADD consecutive_failures :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": &types.AttributeValueMemberN{Value: strconv.FormatInt(t0.UnixMilli(), 10)}, ":one": &types.AttributeValueMemberN{Value: "1"}},
	}); err != nil {
		t.Fatal(err)
	}
	if changed, err := subs.Disable(ctx, "s1", "gone", t0); err != nil || !changed {
		t.Fatalf("Disable = %v, %v", changed, err)
	}
	stale := read
	stale.Description = "stale"
	if err := subs.Update(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("an update read before Disable: got %v, want ErrConflict", err)
	}
	fresh, err := subs.Get(ctx, "s1")
	if err != nil || fresh.Active || fresh.Revision != 1 {
		t.Fatalf("after Disable: active=%v revision=%d, %v", fresh.Active, fresh.Revision, err)
	}
	fresh.Description, fresh.Headers = "fresh", nil
	if err := subs.Update(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	got, err := subs.Get(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Active || got.DisabledReason != "gone" || got.Description != "fresh" || got.Headers != nil || got.Revision != 2 ||
		got.ConsecutiveFailures != 1 || got.FailingSinceMS != t0.UnixMilli() || got.SealedSecrets != "sealed" {
		t.Fatalf("after the update: %+v", got)
	}
	other := got
	other.TenantID = "b"
	if err := subs.Update(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another tenant's update: got %v, want ErrNotFound", err)
	}
}
