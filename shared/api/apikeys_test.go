package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/store"
)

type apiKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Key       string     `json:"key"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// TestAPIKeyLifecycle: a key is created with a name and an optional expiry and shown once;
// it works; lists show its prefix and metadata, never the key; once revoked it is refused.
// Another tenant can neither see nor revoke it.
func TestAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	expires := now.Add(90 * 24 * time.Hour)
	var created apiKey
	e.must(201, "POST", "/v1/api-keys", keyA, map[string]any{"name": "CRM sync", "expires_at": expires}, &created)
	if !strings.HasPrefix(created.Key, "wsk_") || len(created.Key) < 40 || created.Prefix != created.Key[:12] || created.Name != "CRM sync" ||
		created.Status != "active" || created.ExpiresAt == nil || !created.ExpiresAt.Equal(expires) || !strings.HasPrefix(created.ID, "key_") {
		t.Fatalf("created %+v", created)
	}
	e.must(200, "GET", "/v1/connections", created.Key, nil, nil)

	var list struct {
		APIKeys []apiKey `json:"api_keys"`
	}
	a := e.must(200, "GET", "/v1/api-keys", created.Key, nil, &list)
	if strings.Contains(a.raw, created.Key) || strings.Contains(a.raw, `"key"`) {
		t.Fatalf("the list shows a key: %s", a.raw)
	}
	var listed *apiKey
	for i := range list.APIKeys {
		if list.APIKeys[i].ID == created.ID {
			listed = &list.APIKeys[i]
		}
	}
	if listed == nil || listed.Prefix != created.Prefix || listed.Name != "CRM sync" || listed.Status != "active" {
		t.Fatalf("list %+v", list.APIKeys)
	}

	var other struct {
		APIKeys []apiKey `json:"api_keys"`
	}
	e.must(200, "GET", "/v1/api-keys", keyB, nil, &other)
	for _, k := range other.APIKeys {
		if k.ID == created.ID {
			t.Fatal("tenant B lists tenant A's key")
		}
	}
	if a := e.call("POST", "/v1/api-keys/"+created.ID+"/revoke", keyB, nil); a.status != 404 {
		t.Fatalf("tenant B revoking tenant A's key: %d %s", a.status, a.raw)
	}
	e.must(200, "GET", "/v1/connections", created.Key, nil, nil)

	var revoked apiKey
	e.must(200, "POST", "/v1/api-keys/"+created.ID+"/revoke", keyA, nil, &revoked)
	if revoked.Status != "revoked" || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(now) || revoked.Key != "" {
		t.Fatalf("revoked %+v", revoked)
	}
	if a := e.call("GET", "/v1/connections", created.Key, nil); a.status != 401 || a.Error.Code != "UNAUTHORIZED" {
		t.Fatalf("a revoked key: %d %s", a.status, a.raw)
	}
	e.must(200, "GET", "/v1/api-keys", keyA, nil, &list)
	for _, k := range list.APIKeys {
		if k.ID == created.ID && k.Status != "revoked" {
			t.Fatalf("listed after revocation: %+v", k)
		}
	}
	if a := e.call("POST", "/v1/api-keys/key_nope/revoke", keyA, nil); a.status != 404 {
		t.Fatalf("revoking an unknown key: %d", a.status)
	}
}

// TestAPIKeyValidation: a name is required and an expiry must lie in the future.
func TestAPIKeyValidation(t *testing.T) {
	e := newEnv(t)
	for _, body := range []map[string]any{
		{},
		{"name": ""},
		{"name": "past", "expires_at": now.Add(-time.Minute)},
		{"name": "now", "expires_at": now},
		{"name": "not a time", "expires_at": "tomorrow"},
	} {
		if a := e.call("POST", "/v1/api-keys", keyA, body); a.status != 422 && a.status != 400 {
			t.Errorf("%v: %d %s", body, a.status, a.raw)
		}
	}
	var k apiKey
	e.must(201, "POST", "/v1/api-keys", keyA, map[string]any{"name": "forever"}, &k)
	if k.ExpiresAt != nil || k.Status != "active" {
		t.Fatalf("a key without expiry: %+v", k)
	}
}

// TestAuthentication: Bearer in any case is accepted; expired and revoked keys, keys
// without a tenant, other schemes and empty tokens are refused with 401.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	keys := &store.APIKeys{DB: e.db, Table: e.tables["api_keys"]}
	ctx := context.Background()
	put := func(key string, k store.APIKey) {
		k.Hash, k.TenantID, k.CreatedAt = store.HashKey(key), "tenant-a", now.Add(-time.Hour)
		if err := keys.Put(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	put("wsk_expired_0123456789", store.APIKey{ExpiresAt: now})
	put("wsk_expires_later_0123", store.APIKey{ExpiresAt: now.Add(time.Second)})
	put("wsk_revoked_0123456789", store.APIKey{RevokedAt: now.Add(-time.Minute)})
	_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.tables["api_keys"]), Item: map[string]types.AttributeValue{
		"key_hash": &types.AttributeValueMemberS{Value: store.HashKey("wsk_orphan_0123456789")},
		"id":       &types.AttributeValueMemberS{Value: "key_orphan"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, header := range []string{"Bearer " + keyA, "bearer " + keyA, "BEARER " + keyA, "bEaReR " + keyA, "Bearer  " + keyA + " ", "Bearer wsk_expires_later_0123"} {
		if a := e.call("GET", "/v1/event-types", "", nil, "authorization", header); a.status != 200 {
			t.Errorf("%q: %d %s", header, a.status, a.raw)
		}
	}
	for _, header := range []string{
		"", "Bearer", "Bearer ", "Basic " + keyA, "Bearer" + keyA, "Token " + keyA, keyA,
		"Bearer wsk_expired_0123456789", "Bearer wsk_revoked_0123456789", "Bearer wsk_orphan_0123456789", "Bearer wsk_unknown_0123456789",
	} {
		a := e.call("GET", "/v1/event-types", "", nil, "authorization", header)
		if a.status != 401 || a.Error.Code != "UNAUTHORIZED" {
			t.Errorf("%q: %d %s", header, a.status, a.raw)
		}
		if strings.Contains(a.raw, "wsk_") {
			t.Errorf("%q: the answer echoes the key: %s", header, a.raw)
		}
	}
}
