package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RateLimits counts uses per key and second, shared by every Lambda container.
type RateLimits struct {
	DB    DynamoDB
	Table string
}

// Take counts one use of key in the second of now and reports whether it stays within
// perSecond.
func (r *RateLimits) Take(ctx context.Context, key string, perSecond int, now time.Time) (bool, error) {
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(r.Table),
		Key:                 map[string]types.AttributeValue{"bucket": s(key + "#" + strconv.FormatInt(now.Unix(), 10))},
		UpdateExpression:    aws.String("ADD used :one SET expires_at = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(used) OR used < :limit"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":limit": n(int64(perSecond)), ":exp": n(now.Add(time.Minute).Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return true, nil
}
