package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrConflict means the item was written by someone else since it was read: read it again
// and re-apply the change.
var ErrConflict = errors.New("changed since it was read")

// revisionAttr is the attribute every versioned write checks and moves on by one; an item
// without it is at revision 0.
const revisionAttr = "version"

// updateOwned writes the attributes names of item (removing those item lacks) to the item
// id, leaving every other attribute alone, when it belongs to tenantID and is still at
// revision read; it moves the item to revision read+1. ErrNotFound when there is no such
// item of that tenant, ErrConflict when its revision moved on.
func updateOwned(ctx context.Context, db DynamoDB, table, what, id, tenantID string, read int64,
	item map[string]types.AttributeValue, names []string) error {
	attrNames := map[string]string{"#rev": revisionAttr}
	values := map[string]types.AttributeValue{":tenant": s(tenantID), ":read": n(read), ":next": n(read + 1)}
	sets := []string{"#rev = :next"}
	var removes []string
	for i, name := range names {
		ref := "#a" + strconv.Itoa(i)
		attrNames[ref] = name
		if v, ok := item[name]; ok {
			values[":a"+strconv.Itoa(i)] = v
			sets = append(sets, ref+" = :a"+strconv.Itoa(i))
		} else {
			removes = append(removes, ref)
		}
	}
	update := "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		update += " REMOVE " + strings.Join(removes, ", ")
	}
	cond := "tenant_id = :tenant AND #rev = :read"
	if read == 0 {
		cond = "tenant_id = :tenant AND (attribute_not_exists(#rev) OR #rev = :read)"
	}
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(table),
		Key:                                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            attrNames,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil || getS(ccf.Item, "tenant_id") != tenantID {
			return fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
		}
		return fmt.Errorf("%s %s at revision %d: %w", what, id, read, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update %s %s: %w", what, id, err)
	}
	return nil
}
