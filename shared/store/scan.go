package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Scanner is the part of the DynamoDB client that reads a whole table: the operator's
// commands and the erasure job, never a request's path.
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ Scanner = (*dynamodb.Client)(nil)

// ScanPage reads one page of in's table from cursor ("" for the first) and returns its items,
// the cursor of the next page ("" after the last) and how many items it read before its
// filter. A page may hold no item and still have a next one (the filter dropped them).
func ScanPage(ctx context.Context, db Scanner, in *dynamodb.ScanInput, cursor string) ([]map[string]types.AttributeValue, string, int, error) {
	start, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", 0, err
	}
	page := *in
	page.ExclusiveStartKey = start
	out, err := db.Scan(ctx, &page)
	if err != nil {
		return nil, "", 0, fmt.Errorf("scan %s: %w", *in.TableName, err)
	}
	return out.Items, encodeCursor(out.LastEvaluatedKey), int(out.ScannedCount), nil
}
