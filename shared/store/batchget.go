package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxBatchGet is how many keys one BatchGetItem may ask for.
const maxBatchGet = 100

// batchGetTries bounds the calls that ask again for the keys DynamoDB left unprocessed.
const batchGetTries = 5

// batchGet reads the items of table whose keyAttr is one of ids, by id; ids with no item are
// absent. Lists read their indexes' keys and then their items this way, so the indexes
// project only what their queries need.
func batchGet(ctx context.Context, db DynamoDB, table, keyAttr string, ids []string) (map[string]map[string]types.AttributeValue, error) {
	return readItems(ctx, db, table, keyAttr, ids, false)
}

// readItems is batchGet, with strongly consistent reads when consistent is set.
func readItems(ctx context.Context, db DynamoDB, table, keyAttr string, ids []string, consistent bool) (map[string]map[string]types.AttributeValue, error) {
	out := make(map[string]map[string]types.AttributeValue, len(ids))
	for start := 0; start < len(ids); start += maxBatchGet {
		keys := make([]map[string]types.AttributeValue, 0, maxBatchGet)
		seen := map[string]bool{}
		for _, id := range ids[start:min(start+maxBatchGet, len(ids))] {
			if !seen[id] {
				seen[id] = true
				keys = append(keys, map[string]types.AttributeValue{keyAttr: s(id)})
			}
		}
		request := map[string]types.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(consistent)}}
		for try := 1; len(request) > 0; try++ {
			if try > batchGetTries {
				return nil, fmt.Errorf("read %d items of %s: DynamoDB left some unprocessed %d times", len(ids), table, batchGetTries)
			}
			res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
			if err != nil {
				return nil, fmt.Errorf("read items of %s: %w", table, err)
			}
			for _, item := range res.Responses[table] {
				out[getS(item, keyAttr)] = item
			}
			request = res.UnprocessedKeys
		}
	}
	return out, nil
}

// inOrder returns the items of ids in that order, skipping ids with none (deleted between the
// index's answer and the read).
func inOrder(ids []string, items map[string]map[string]types.AttributeValue) []map[string]types.AttributeValue {
	out := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		if item, ok := items[id]; ok {
			out = append(out, item)
		}
	}
	return out
}
