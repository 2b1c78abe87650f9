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

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Idempotent is a remembered write: the request's hash and, once done, its answer. The
// answer may carry secrets (a created connection's, a rotated one's, a new API key), so the
// store keeps only its sealed form; the caller seals and opens it.
type Idempotent struct {
	Scope       string
	RequestHash string
	Done        bool
	Status      int
	SealedBody  string
}

// IdempotencyKeys is the table of Idempotency-Key records.
type IdempotencyKeys struct {
	DB    DynamoDB
	Table string
}

// Begin claims scope for a request. When scope is already claimed (and not expired) it
// returns the existing record and claimed false.
func (k *IdempotencyKeys) Begin(ctx context.Context, scope, requestHash string, now time.Time) (existing Idempotent, claimed bool, err error) {
	_, err = k.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(k.Table),
		Item: map[string]types.AttributeValue{
			"scope": s(scope), "request_hash": s(requestHash), "state": s("pending"),
			"expires_at": n(now.Add(IdempotencyTTL).Unix()),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(#scope) OR expires_at < :now"),
		ExpressionAttributeNames:            map[string]string{"#scope": "scope"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": n(now.Unix())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Idempotent{}, true, nil
	case errors.As(err, &ccf):
		return Idempotent{
			Scope: scope, RequestHash: getS(ccf.Item, "request_hash"), Done: getS(ccf.Item, "state") == "done",
			Status: int(getN(ccf.Item, "status")), SealedBody: getS(ccf.Item, "sealed_body"),
		}, false, nil
	default:
		return Idempotent{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
}

// Finish records the answer of a claimed request, sealed.
func (k *IdempotencyKeys) Finish(ctx context.Context, scope string, status int, sealedBody string) error {
	values := map[string]types.AttributeValue{":done": s("done"), ":status": n(int64(status))}
	expr := "SET #state = :done, #status = :status"
	if sealedBody != "" {
		expr += ", sealed_body = :body"
		values[":body"] = s(sealedBody)
	}
	_, err := k.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(k.Table),
		Key:                       map[string]types.AttributeValue{"scope": s(scope)},
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  map[string]string{"#state": "state", "#status": "status"},
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("record idempotent answer: %w", err)
	}
	return nil
}

// Abandon forgets a claimed request whose answer should not be replayed (a server error).
func (k *IdempotencyKeys) Abandon(ctx context.Context, scope string) error {
	_, err := k.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(k.Table), Key: map[string]types.AttributeValue{"scope": s(scope)},
	})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
