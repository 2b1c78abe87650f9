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

// Tenant statuses.
const (
	TenantActive   = "active"
	TenantDisabled = "disabled"
)

// ErrExists means an item with that id exists already.
var ErrExists = errors.New("exists already")

// Tenant is one business using the hub: the operator creates it and issues its API keys.
type Tenant struct {
	ID         string
	Name       string
	Status     string
	CreatedAt  time.Time
	DisabledAt time.Time
}

// Tenants is the tenants table. The operator writes it; no function reads it on a
// request's path: disabling a tenant marks its keys and connections (DisableTenant), so
// neither authenticating a key nor resolving an ingest URL costs another read.
type Tenants struct {
	DB    DynamoDB
	Table string
}

// Create stores a new active tenant; ErrExists when one has its id.
func (t *Tenants) Create(ctx context.Context, tenant Tenant) error {
	return putNew(ctx, t.DB, t.Table, map[string]types.AttributeValue{
		"id": s(tenant.ID), "name": s(tenant.Name), "status": s(TenantActive), "created_at": n(millis(tenant.CreatedAt)),
	}, "tenant", tenant.ID)
}

// Get loads a tenant; ErrNotFound when there is none.
func (t *Tenants) Get(ctx context.Context, id string) (Tenant, error) {
	item, err := getByID(ctx, t.DB, t.Table, "tenant", id)
	if err != nil {
		return Tenant{}, err
	}
	return TenantFromItem(item), nil
}

// SetStatus moves a tenant to status (TenantActive or TenantDisabled) at at and returns it;
// ErrNotFound when there is no such tenant.
func (t *Tenants) SetStatus(ctx context.Context, id, status string, at time.Time) (Tenant, error) {
	update := "SET #status = :status REMOVE disabled_at"
	values := map[string]types.AttributeValue{":status": s(status)}
	if status == TenantDisabled {
		update = "SET #status = :status, disabled_at = if_not_exists(disabled_at, :at)"
		values[":at"] = n(millis(at))
	}
	out, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Table), Key: map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression: aws.String(update), ConditionExpression: aws.String("attribute_exists(id)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: values,
		ReturnValues: types.ReturnValueAllNew,
	})
	if err := notFoundOr(err, "set the status of tenant", id); err != nil {
		return Tenant{}, err
	}
	return TenantFromItem(out.Attributes), nil
}

// TenantFromItem reads a tenants table item.
func TenantFromItem(item map[string]types.AttributeValue) Tenant {
	return Tenant{
		ID: getS(item, "id"), Name: getS(item, "name"), Status: getS(item, "status"),
		CreatedAt: fromMillis(getN(item, "created_at")), DisabledAt: fromMillis(getN(item, "disabled_at")),
	}
}

// tenantDisabledAttr marks the API keys and connections of a disabled tenant: its keys are
// refused and its ingest URLs answer 404, with no read of the tenants table.
const tenantDisabledAttr = "tenant_disabled_at"

// MarkTenantDisabled marks every API key and connection of tenantID as its tenant's being
// disabled at at, or clears the mark when at is zero, and returns how many of each it
// changed. It is idempotent: running it again after an interruption finishes the job.
func MarkTenantDisabled(ctx context.Context, keys *APIKeys, conns *Connections, tenantID string, at time.Time) (nKeys, nConns int, err error) {
	if nKeys, err = markOwned(ctx, keys.DB, keys.Table, "key_hash", tenantID, at); err != nil {
		return 0, 0, fmt.Errorf("mark the API keys of tenant %s: %w", tenantID, err)
	}
	if nConns, err = markOwned(ctx, conns.DB, conns.Table, "id", tenantID, at); err != nil {
		return nKeys, 0, fmt.Errorf("mark the connections of tenant %s: %w", tenantID, err)
	}
	return nKeys, nConns, nil
}

// markOwned sets or clears the tenant-disabled mark on each of the tenant's items in table,
// found through its by_tenant index.
func markOwned(ctx context.Context, db DynamoDB, table, hashKey, tenantID string, at time.Time) (int, error) {
	changed, cursor := 0, ""
	for {
		items, next, err := queryByTenant(ctx, db, table, tenantID, cursor, 100)
		if err != nil {
			return changed, err
		}
		for _, item := range items {
			in := &dynamodb.UpdateItemInput{
				TableName: aws.String(table), Key: map[string]types.AttributeValue{hashKey: item[hashKey]},
				ConditionExpression:       aws.String("tenant_id = :t"),
				ExpressionAttributeNames:  map[string]string{"#mark": tenantDisabledAttr},
				ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID)},
				UpdateExpression:          aws.String("REMOVE #mark"),
			}
			if !at.IsZero() {
				in.UpdateExpression = aws.String("SET #mark = if_not_exists(#mark, :at)")
				in.ExpressionAttributeValues[":at"] = n(millis(at))
			}
			applied, err := conditional(ignore(db.UpdateItem(ctx, in)), "mark "+table)
			if err != nil {
				return changed, err
			}
			if applied {
				changed++
			}
		}
		if next == "" {
			return changed, nil
		}
		cursor = next
	}
}

func ignore[T any](_ T, err error) error { return err }
