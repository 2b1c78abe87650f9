package api_test

import (
	"context"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// staleRead hands out a snapshot of one item instead of the stored item, a given number of
// times: the read a request made before another write landed.
type staleRead[T any] struct {
	mu    sync.Mutex
	id    string
	item  T
	times int
}

// serve makes the next times reads of id return item.
func (r *staleRead[T]) serve(id string, item T, times int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.id, r.item, r.times = id, item, times
}

func (r *staleRead[T]) take(id string) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero T
	if r.times == 0 || id != r.id {
		return zero, false
	}
	r.times--
	return r.item, true
}

type staleConnections struct {
	api.ConnectionStore
	staleRead[store.Connection]
}

func (c *staleConnections) Get(ctx context.Context, id string) (store.Connection, error) {
	if conn, ok := c.take(id); ok {
		return conn, nil
	}
	return c.ConnectionStore.Get(ctx, id)
}

type staleSubscriptions struct {
	api.SubscriptionStore
	staleRead[store.Subscription]
}

func (s *staleSubscriptions) Get(ctx context.Context, id string) (store.Subscription, error) {
	if sub, ok := s.take(id); ok {
		return sub, nil
	}
	return s.SubscriptionStore.Get(ctx, id)
}

// withStaleReads puts stale-read wrappers in front of the API's connection and subscription
// stores; call it before the first request.
func (e *env) withStaleReads() (*staleConnections, *staleSubscriptions, *store.Subscriptions) {
	conns := &staleConnections{ConnectionStore: e.server.Connections}
	subs := &staleSubscriptions{SubscriptionStore: e.server.Subscriptions}
	e.server.Connections, e.server.Subscriptions = conns, subs
	return conns, subs, &store.Subscriptions{DB: e.db, Table: e.tables["subscriptions"]}
}

// newestSecret opens a stored secret set and returns its newest secret.
func (e *env) newestSecret(id, sealed string) string {
	e.t.Helper()
	set, err := secrets.OpenSet(context.Background(), e.sealer, secrets.Scope{TenantID: "tenant-a", ResourceID: id}, sealed)
	if err != nil || len(set) == 0 {
		e.t.Fatalf("open secrets of %s: %v %v", id, set, err)
	}
	return set[0].Secret
}

// TestConnectionDisableAndRotateFromOneStaleRead: a disable and a rotation computed from the
// same read both take effect, whichever lands first.
func TestConnectionDisableAndRotateFromOneStaleRead(t *testing.T) {
	for _, first := range []string{"disable", "rotate-secret"} {
		t.Run(first+" lands first", func(t *testing.T) {
			e := newEnv(t)
			conns, _, _ := e.withStaleReads()
			var c connection
			e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "custom"}, &c)
			read, err := e.conns.Get(context.Background(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var rotated connection
			rotate := func() {
				e.must(200, "POST", "/v1/connections/"+c.ID+"/rotate-secret", keyA, map[string]any{}, &rotated)
			}
			disable := func() { e.must(200, "POST", "/v1/connections/"+c.ID+"/disable", keyA, nil, nil) }
			second := disable
			if first == "disable" {
				disable()
				second = rotate
			} else {
				rotate()
			}
			conns.serve(c.ID, read, 1)
			second()

			got, err := e.conns.Get(context.Background(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.ConnectionDisabled {
				t.Errorf("status %q, want disabled", got.Status)
			}
			if newest := e.newestSecret(c.ID, got.SealedSecrets); rotated.Secret == "" || newest != rotated.Secret {
				t.Errorf("the rotated secret was lost")
			}
		})
	}
}

// TestSubscriptionPatchAfterAutomaticDisable: a PATCH read before the delivery path disabled
// the subscription leaves it disabled; one that asks for active=true re-enables it.
func TestSubscriptionPatchAfterAutomaticDisable(t *testing.T) {
	e := newEnv(t)
	_, stale, subs := e.withStaleReads()
	var sub subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}, &sub)
	read, err := subs.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := subs.Disable(context.Background(), sub.ID, "endpoint answered 410", now); err != nil || !changed {
		t.Fatalf("Disable = %v, %v", changed, err)
	}
	stale.serve(sub.ID, read, 1)
	var patched subscription
	e.must(200, "PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"description": "renamed"}, &patched)
	got, err := subs.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Active || patched.Active || got.Description != "renamed" || got.DisabledReason != "endpoint answered 410" {
		t.Fatalf("after a stale PATCH: stored active=%v reason=%q description=%q, answered active=%v",
			got.Active, got.DisabledReason, got.Description, patched.Active)
	}

	stale.serve(sub.ID, read, 1)
	e.must(200, "PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"active": true}, &patched)
	if got, err = subs.Get(context.Background(), sub.ID); err != nil || !got.Active || !patched.Active {
		t.Fatalf("PATCH active=true: stored %+v, answered %+v, %v", got.Active, patched.Active, err)
	}
}

// TestSubscriptionPatchKeepsRotatedSecret: a PATCH read before a rotation keeps the new secret.
func TestSubscriptionPatchKeepsRotatedSecret(t *testing.T) {
	e := newEnv(t)
	_, stale, subs := e.withStaleReads()
	var sub, rotated subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}, &sub)
	read, err := subs.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/rotate-secret", keyA, nil, &rotated)
	stale.serve(sub.ID, read, 1)
	e.must(200, "PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"event_types": []string{"payment.*"}}, nil)
	got, err := subs.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if newest := e.newestSecret(sub.ID, got.SealedSecrets); newest != rotated.Secret || newest == sub.Secret {
		t.Fatal("the PATCH undid the rotation")
	}
	if len(got.EventTypes) != 1 || got.EventTypes[0] != "payment.*" {
		t.Fatalf("event types %v", got.EventTypes)
	}
}

// failEndpoint notes a failed attempt as the delivery path does: straight on the item,
// without moving its revision.
func (e *env) failEndpoint(id string, probeAt time.Time) {
	e.t.Helper()
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:        aws.String(e.tables["subscriptions"]),
		Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
		UpdateExpression: aws.String("SET failing_since = if_not_exists(failing_since, :now), probe_at = :probe ADD consecutive_failures :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":probe": &types.AttributeValueMemberN{Value: strconv.FormatInt(probeAt.UnixMilli(), 10)},
			":one":   &types.AttributeValueMemberN{Value: "1"},
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// storedSubscription is a subscription's item as stored.
func (e *env) storedSubscription(id string) map[string]types.AttributeValue {
	e.t.Helper()
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.tables["subscriptions"]),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Item
}

// TestSubscriptionPatchKeepsEndpointHealth: the counters the delivery path keeps survive a
// PATCH read before they were written; the PATCH changes only what it asked for.
func TestSubscriptionPatchKeepsEndpointHealth(t *testing.T) {
	e := newEnv(t)
	_, stale, subs := e.withStaleReads()
	var sub subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}, &sub)
	read, err := subs.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.failEndpoint(sub.ID, now.Add(time.Minute))
	e.failEndpoint(sub.ID, now.Add(2*time.Minute))
	before := e.storedSubscription(sub.ID)
	for _, health := range []string{"failing_since", "consecutive_failures", "probe_at"} {
		if before[health] == nil {
			t.Fatalf("no %s on the item", health)
		}
	}
	stale.serve(sub.ID, read, 1)
	e.must(200, "PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"rate_limit_per_second": 7}, nil)
	after := e.storedSubscription(sub.ID)
	for name, v := range before {
		if name != "version" && name != "rate_limit_per_second" && !reflect.DeepEqual(after[name], v) {
			t.Errorf("the PATCH changed %s: %v, was %v", name, after[name], v)
		}
	}
	if got, err := subs.Get(context.Background(), sub.ID); err != nil || got.RateLimit != 7 || got.ConsecutiveFailures != 2 ||
		got.FailingSinceMS != now.UnixMilli() || got.ProbeAtMS != now.Add(2*time.Minute).UnixMilli() {
		t.Fatalf("after the PATCH: rate %d, failures %d, failing since %d, probe at %d, %v",
			got.RateLimit, got.ConsecutiveFailures, got.FailingSinceMS, got.ProbeAtMS, err)
	}
}

// TestWriteThatKeepsLosingIsConflict: when every read is stale, the request gives up with 409
// CONFLICT and changes nothing; its Idempotency-Key can be retried.
func TestWriteThatKeepsLosingIsConflict(t *testing.T) {
	e := newEnv(t)
	conns, stale, subs := e.withStaleReads()
	var sub subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}, &sub)
	read, err := subs.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/rotate-secret", keyA, nil, nil)
	stale.serve(sub.ID, read, 1000)
	if a := e.call("PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"description": "lost"}); a.status != 409 || a.Error.Code != "CONFLICT" {
		t.Fatalf("PATCH from stale reads: %d %s", a.status, a.raw)
	}
	if a := e.call("PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"description": "retried"}, "idempotency-key", "k1"); a.status != 409 {
		t.Fatalf("PATCH with a key from stale reads: %d %s", a.status, a.raw)
	}
	stale.serve("", store.Subscription{}, 0)
	if got, err := subs.Get(context.Background(), sub.ID); err != nil || got.Description != "" {
		t.Fatalf("a conflicting PATCH was written: %q %v", got.Description, err)
	}
	if a := e.call("PATCH", "/v1/subscriptions/"+sub.ID, keyA, map[string]any{"description": "retried"}, "idempotency-key", "k1"); a.status != 200 {
		t.Fatalf("the same key retried after a conflict: %d %s", a.status, a.raw)
	}

	var c connection
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "zapier"}, &c)
	connRead, err := e.conns.Get(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.must(200, "POST", "/v1/connections/"+c.ID+"/disable", keyA, nil, nil)
	conns.serve(c.ID, connRead, 1000)
	if a := e.call("POST", "/v1/connections/"+c.ID+"/rotate-secret", keyA, map[string]any{}); a.status != 409 || a.Error.Code != "CONFLICT" {
		t.Fatalf("rotation from stale reads: %d %s", a.status, a.raw)
	}
}
