package store

import (
	"context"
	"errors"
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

// IndexByTenant is the index of connections, subscriptions and API keys by tenant, oldest
// first. The connections' projects their keys alone (never their sealed secrets), the
// subscriptions' what matching an event needs, the API keys' every attribute.
const IndexByTenant = "by_tenant"

// Connection is a tenant's link to one provider: where its webhooks arrive and the sealed
// secrets that verify them.
type Connection struct {
	ID       string
	TenantID string
	Kind     string
	Name     string
	Status   string
	// Config holds the kind's settings that are not secret (PayPal's webhook id,
	// Mandrill's registered URL).
	Config map[string]string
	// SealedSecrets is the connection's secret set, sealed (see package secrets).
	SealedSecrets string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Revision is the item's version as read: Update writes only from the latest one and
	// moves it on by one.
	Revision int64
	// TenantDisabledAt, when set, is when the connection's tenant was disabled: its ingest
	// URL answers 404 until the tenant is enabled again.
	TenantDisabledAt time.Time
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
	return connectionFromItem(out.Item), nil
}

func connectionFromItem(item map[string]types.AttributeValue) Connection {
	conn := Connection{
		ID:               getS(item, "id"),
		TenantID:         getS(item, "tenant_id"),
		Kind:             getS(item, "kind"),
		Name:             getS(item, "name"),
		Status:           getS(item, "status"),
		SealedSecrets:    getS(item, "secrets"),
		CreatedAt:        fromMillis(getN(item, "created_at")),
		UpdatedAt:        fromMillis(getN(item, "updated_at")),
		Revision:         getN(item, revisionAttr),
		TenantDisabledAt: fromMillis(getN(item, tenantDisabledAttr)),
	}
	if m, ok := item["config"].(*types.AttributeValueMemberM); ok {
		conn.Config = map[string]string{}
		for k, v := range m.Value {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				conn.Config[k] = sv.Value
			}
		}
	}
	return conn
}

// Put writes a connection, replacing any with the same id.
func (c *Connections) Put(ctx context.Context, conn Connection) error {
	_, err := c.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.Table), Item: connectionItem(conn)})
	if err != nil {
		return fmt.Errorf("put connection %s: %w", conn.ID, err)
	}
	return nil
}

// connectionFields are the attributes of a connection the management API changes; Update
// writes these alone.
var connectionFields = []string{"name", "status", "config", "secrets", "updated_at"}

// Update writes the name, status, config, secrets and update time of a connection that
// belongs to its tenant and is still at conn.Revision, and moves it to the next revision.
// ErrNotFound when the tenant has no such connection; ErrConflict when it was written
// since conn was read (read it again and re-apply the change).
func (c *Connections) Update(ctx context.Context, conn Connection) error {
	return updateOwned(ctx, c.DB, c.Table, "connection", conn.ID, conn.TenantID, conn.Revision, connectionItem(conn), connectionFields)
}

// Delete removes a tenant's connection; ErrNotFound when the tenant has none by that id.
func (c *Connections) Delete(ctx context.Context, tenantID, id string) error {
	return deleteOwned(ctx, c.DB, c.Table, "connection", tenantID, id)
}

// ListByTenant returns up to limit of a tenant's connections, oldest first, from cursor.
func (c *Connections) ListByTenant(ctx context.Context, tenantID, cursor string, limit int32) (Page[Connection], error) {
	keys, next, err := queryByTenant(ctx, c.DB, c.Table, tenantID, cursor, limit)
	if err != nil {
		return Page[Connection]{}, fmt.Errorf("list connections: %w", err)
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = getS(k, "id")
	}
	items, err := batchGet(ctx, c.DB, c.Table, "id", ids)
	if err != nil {
		return Page[Connection]{}, fmt.Errorf("list connections: %w", err)
	}
	page := Page[Connection]{Next: next}
	for _, item := range inOrder(ids, items) {
		page.Items = append(page.Items, connectionFromItem(item))
	}
	return page, nil
}

func connectionItem(conn Connection) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"id":           s(conn.ID),
		"tenant_id":    s(conn.TenantID),
		"kind":         s(conn.Kind),
		"name":         s(conn.Name),
		"status":       s(conn.Status),
		"secrets":      s(conn.SealedSecrets),
		"created_at":   n(millis(conn.CreatedAt)),
		"updated_at":   n(millis(conn.UpdatedAt)),
		"created_sort": s(createdSortKey(conn.CreatedAt, conn.ID)),
	}
	if len(conn.Config) > 0 {
		m := map[string]types.AttributeValue{}
		for k, v := range conn.Config {
			m[k] = s(v)
		}
		item["config"] = &types.AttributeValueMemberM{Value: m}
	}
	if conn.Revision != 0 {
		item[revisionAttr] = n(conn.Revision)
	}
	return item
}

func createdSortKey(t time.Time, id string) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id
}

// deleteOwned deletes the item id when it belongs to tenantID.
func deleteOwned(ctx context.Context, db DynamoDB, table, what, tenantID, id string) error {
	_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		ConditionExpression:       aws.String("tenant_id = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", what, id, err)
	}
	return nil
}

// queryByTenant pages through the by_tenant index; the items hold what it projects.
func queryByTenant(ctx context.Context, db DynamoDB, table, tenantID, cursor string, limit int32) ([]map[string]types.AttributeValue, string, error) {
	start, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String(IndexByTenant),
		KeyConditionExpression:    aws.String("tenant_id = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID)},
		Limit:                     aws.Int32(limit),
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return nil, "", err
	}
	return out.Items, encodeCursor(out.LastEvaluatedKey), nil
}
