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

// TakeWindow counts one use of key in the fixed window (of length window, aligned to the
// Unix epoch) that holds now, and reports whether it stays within limit. When it does not,
// retryAt is when the window ends. The count is shared by every container and dropped by
// TTL a window after it ends.
func (r *RateLimits) TakeWindow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (ok bool, retryAt time.Time, err error) {
	start := now.Truncate(window)
	end := start.Add(window)
	bucket := key + "#" + strconv.FormatInt(int64(window/time.Second), 10) + "s#" + strconv.FormatInt(start.Unix(), 10)
	_, err = r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(r.Table),
		Key:                 map[string]types.AttributeValue{"bucket": s(bucket)},
		UpdateExpression:    aws.String("ADD used :one SET expires_at = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(used) OR used < :limit"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":limit": n(int64(limit)), ":exp": n(end.Add(window).Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, end, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return true, time.Time{}, nil
}
