package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Unmarked returns the ids of a tenant's events timed in [from, to) that were stored to be
// processed and have no processed marker: among them, the events an ingest left stored
// but never queued when it died between the two (no fault path ran, so none is in the
// sweep index). It reads the tenant index, whose entries say which events were stored
// already processed (derived events), and the other events' markers, eventually
// consistently: about half a read unit an event.
func (e *Events) Unmarked(ctx context.Context, tenantID string, from, to time.Time) ([]string, error) {
	var ids []string
	var start map[string]types.AttributeValue
	for {
		out, err := e.DB.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(e.Table),
			IndexName:              aws.String(IndexTenantTime),
			KeyConditionExpression: aws.String("tenant_id = :t AND tenant_sort BETWEEN :from AND :to"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":t": s(tenantID), ":from": s(tenantSortKey(from, "")), ":to": s(tenantSortKey(to, "")),
			},
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("events of tenant %s from %s: %w", tenantID, from.UTC().Format(time.RFC3339), err)
		}
		for _, item := range out.Items {
			if getS(item, "status") != StatusProcessed {
				ids = append(ids, getS(item, "id"))
			}
		}
		if start = out.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = ProcessedKey(id)
	}
	markers, err := batchGet(ctx, e.DB, e.Table, "id", keys)
	if err != nil {
		return nil, fmt.Errorf("processed markers of tenant %s: %w", tenantID, err)
	}
	var unmarked []string
	for _, id := range ids {
		if markers[ProcessedKey(id)] == nil {
			unmarked = append(unmarked, id)
		}
	}
	return unmarked, nil
}

// IDs returns the id of every tenant, active or disabled (a disabled tenant's events may
// still wait to be processed). It scans the table, a page at a time; t.DB must scan.
func (t *Tenants) IDs(ctx context.Context) ([]string, error) {
	db, ok := t.DB.(Scanner)
	if !ok {
		return nil, fmt.Errorf("list the tenants: the client of %s does not scan", t.Table)
	}
	var ids []string
	cursor := ""
	for {
		items, next, _, err := ScanPage(ctx, db, &dynamodb.ScanInput{TableName: aws.String(t.Table), ProjectionExpression: aws.String("id")}, cursor)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			ids = append(ids, getS(item, "id"))
		}
		if cursor = next; cursor == "" {
			return ids, nil
		}
	}
}
