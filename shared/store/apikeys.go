package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// APIKey is a tenant's key to the management API. Only its SHA-256 hash is stored.
type APIKey struct {
	Hash       string
	TenantID   string
	TenantName string
	CreatedAt  time.Time
}

// HashKey is the stored form of an API key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// APIKeys is the API keys table, keyed by hash.
type APIKeys struct {
	DB    DynamoDB
	Table string
}

// Put stores a key's hash for its tenant.
func (k *APIKeys) Put(ctx context.Context, key APIKey) error {
	_, err := k.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(k.Table),
		Item: map[string]types.AttributeValue{
			"key_hash": s(key.Hash), "tenant_id": s(key.TenantID), "tenant_name": s(key.TenantName),
			"created_at": n(millis(key.CreatedAt)),
		},
	})
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
	return APIKey{Hash: hash, TenantID: getS(out.Item, "tenant_id"), TenantName: getS(out.Item, "tenant_name"),
		CreatedAt: fromMillis(getN(out.Item, "created_at"))}, nil
}
