package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Connection statuses.
const (
	ConnectionActive   = "active"
	ConnectionDisabled = "disabled"
)

// Connection is a tenant's link to one provider: where its webhooks arrive and the sealed
// secrets that verify them.
type Connection struct {
	ID       string
	TenantID string
	Kind     string
	Status   string
	// SealedSecrets is the connection's secret set, sealed (see package secrets).
	SealedSecrets string
	CreatedAt     time.Time
}

// Connections is the connections table.
type Connections struct {
	DB    DynamoDB
	Table string
}

// Get loads a connection by id; ErrNotFound when there is none.
func (c *Connections) Get(ctx context.Context, id string) (Connection, error) {
	out, err := c.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(c.Table),
		Key:            map[string]types.AttributeValue{"id": s(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Connection{}, fmt.Errorf("get connection %s: %w", id, err)
	}
	if out.Item == nil {
		return Connection{}, fmt.Errorf("connection %s: %w", id, ErrNotFound)
	}
	return Connection{
		ID:            getS(out.Item, "id"),
		TenantID:      getS(out.Item, "tenant_id"),
		Kind:          getS(out.Item, "kind"),
		Status:        getS(out.Item, "status"),
		SealedSecrets: getS(out.Item, "secrets"),
		CreatedAt:     fromMillis(getN(out.Item, "created_at")),
	}, nil
}

// Put writes a connection, replacing any with the same id.
func (c *Connections) Put(ctx context.Context, conn Connection) error {
	_, err := c.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(c.Table),
		Item: map[string]types.AttributeValue{
			"id":         s(conn.ID),
			"tenant_id":  s(conn.TenantID),
			"kind":       s(conn.Kind),
			"status":     s(conn.Status),
			"secrets":    s(conn.SealedSecrets),
			"created_at": n(millis(conn.CreatedAt)),
		},
	})
	if err != nil {
		return fmt.Errorf("put connection %s: %w", conn.ID, err)
	}
	return nil
}
