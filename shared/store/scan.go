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

// ScanPage reads one page of in's table from cursor ("" for the first) and returns its items
// and the cursor of the next page, "" after the last. A page may hold no item and still
// have a next one (a filter drops what it read).
func ScanPage(ctx context.Context, db Scanner, in *dynamodb.ScanInput, cursor string) ([]map[string]types.AttributeValue, string, error) {
	start, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	page := *in
	page.ExclusiveStartKey = start
	out, err := db.Scan(ctx, &page)
	if err != nil {
		return nil, "", fmt.Errorf("scan %s: %w", *in.TableName, err)
	}
	return out.Items, encodeCursor(out.LastEvaluatedKey), nil
}
