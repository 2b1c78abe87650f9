package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// APIKey is a tenant's key to the management API. Only its SHA-256 hash is stored, with a
// short prefix of the key that lets its owner recognize it in a list.
type APIKey struct {
	Hash string
	// ID names the key in the API; Put derives one from the hash when it is empty.
	ID         string
	TenantID   string
	TenantName string
	Name       string
	Prefix     string
	CreatedAt  time.Time
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt time.Time
	// RevokedAt, when set, is when the key was revoked; it works no more.
	RevokedAt time.Time
	// TenantDisabledAt, when set, is when the key's tenant was disabled: the key is refused
	// until the tenant is enabled again.
	TenantDisabledAt time.Time
}

// API key states.
const (
	KeyActive  = "active"
	KeyExpired = "expired"
	KeyRevoked = "revoked"
)

// Status is the key's state at now.
func (k APIKey) Status(now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return KeyRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return KeyExpired
	default:
		return KeyActive
	}
}

// HashKey is the stored form of an API key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// APIKeys is the API keys table, keyed by hash, with an index of each tenant's keys.
type APIKeys struct {
	DB    DynamoDB
	Table string
}

// ErrNoTenant means an API key names no tenant; such a key is never stored or accepted.
var ErrNoTenant = errors.New("API key has no tenant")

// Put stores a key's hash for its tenant.
func (k *APIKeys) Put(ctx context.Context, key APIKey) error {
	if key.TenantID == "" {
		return ErrNoTenant
	}
	if key.ID == "" {
		key.ID = legacyID(key.Hash)
	}
	item := map[string]types.AttributeValue{
		"key_hash": s(key.Hash), "id": s(key.ID), "tenant_id": s(key.TenantID), "tenant_name": s(key.TenantName),
		"name": s(key.Name), "prefix": s(key.Prefix), "created_at": n(millis(key.CreatedAt)),
		"created_sort": s(createdSortKey(key.CreatedAt, key.ID)),
	}
	if !key.ExpiresAt.IsZero() {
		item["expires_at"] = n(millis(key.ExpiresAt))
	}
	if !key.RevokedAt.IsZero() {
		item["revoked_at"] = n(millis(key.RevokedAt))
	}
	_, err := k.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(k.Table), Item: item})
	if err != nil {
		return fmt.Errorf("put API key of tenant %s: %w", key.TenantID, err)
	}
	return nil
}

// Lookup finds the key whose hash is hash; ErrNotFound when there is none.
func (k *APIKeys) Lookup(ctx context.Context, hash string) (APIKey, error) {
	out, err := k.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(k.Table), Key: map[string]types.AttributeValue{"key_hash": s(hash)},
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("look up API key: %w", err)
	}
	if out.Item == nil {
		return APIKey{}, fmt.Errorf("API key: %w", ErrNotFound)
	}
	return apiKeyFromItem(out.Item), nil
}

// ListByTenant pages through a tenant's keys, oldest first.
func (k *APIKeys) ListByTenant(ctx context.Context, tenantID, cursor string, limit int32) (Page[APIKey], error) {
	items, next, err := queryByTenant(ctx, k.DB, k.Table, tenantID, cursor, limit)
	if err != nil {
		return Page[APIKey]{}, fmt.Errorf("list API keys: %w", err)
	}
	page := Page[APIKey]{Next: next}
	for _, item := range items {
		page.Items = append(page.Items, apiKeyFromItem(item))
	}
	return page, nil
}

// Revoke revokes the tenant's key id at at and returns it; a key already revoked keeps its
// first revocation time. ErrNotFound when the tenant has no such key.
func (k *APIKeys) Revoke(ctx context.Context, tenantID, id string, at time.Time) (APIKey, error) {
	key, err := k.find(ctx, tenantID, id)
	if err != nil {
		return APIKey{}, err
	}
	out, err := k.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(k.Table),
		Key:                 map[string]types.AttributeValue{"key_hash": s(key.Hash)},
		UpdateExpression:    aws.String("SET revoked_at = if_not_exists(revoked_at, :at)"),
		ConditionExpression: aws.String("tenant_id = :t AND id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": n(millis(at)), ":t": s(tenantID), ":id": s(id),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return APIKey{}, fmt.Errorf("API key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("revoke API key %s: %w", id, err)
	}
	return apiKeyFromItem(out.Attributes), nil
}

// find looks the tenant's key id up in the tenant's index; a tenant has few keys.
func (k *APIKeys) find(ctx context.Context, tenantID, id string) (APIKey, error) {
	var start map[string]types.AttributeValue
	for {
		out, err := k.DB.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(k.Table),
			IndexName:                 aws.String(IndexByTenant),
			KeyConditionExpression:    aws.String("tenant_id = :t"),
			FilterExpression:          aws.String("id = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID), ":id": s(id)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return APIKey{}, fmt.Errorf("find API key %s: %w", id, err)
		}
		if len(out.Items) > 0 {
			return apiKeyFromItem(out.Items[0]), nil
		}
		if len(out.LastEvaluatedKey) == 0 {
			return APIKey{}, fmt.Errorf("API key %s: %w", id, ErrNotFound)
		}
		start = out.LastEvaluatedKey
	}
}

// legacyID is the id of a key stored without one: derived from its hash.
func legacyID(hash string) string {
	if len(hash) < 20 {
		return ""
	}
	return "key_" + hash[:20]
}

func apiKeyFromItem(item map[string]types.AttributeValue) APIKey {
	k := APIKey{
		Hash: getS(item, "key_hash"), ID: getS(item, "id"), TenantID: getS(item, "tenant_id"),
		TenantName: getS(item, "tenant_name"), Name: getS(item, "name"), Prefix: getS(item, "prefix"),
		CreatedAt: fromMillis(getN(item, "created_at")), ExpiresAt: fromMillis(getN(item, "expires_at")),
		RevokedAt: fromMillis(getN(item, "revoked_at")), TenantDisabledAt: fromMillis(getN(item, tenantDisabledAttr)),
	}
	if k.ID == "" {
		k.ID = legacyID(k.Hash)
	}
	return k
}
