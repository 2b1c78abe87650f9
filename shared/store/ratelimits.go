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

// RateLimits keeps rate limits and counts of uses under way, shared by every Lambda
// container: fixed one-second windows (Take), GCRA buckets that reserve future slots
// (Reserve) and in-flight counters (ClaimSlot, FreeSlot).
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

// idleFor is how long an idle bucket or slot counter is kept before DynamoDB's TTL drops it.
const idleFor = 24 * time.Hour

// Reserve takes the next use of key's bucket, which allows perSecond uses a second with a
// burst of perSecond (GCRA), and returns when that use may happen: now when a token is
// free, else the time the bucket frees the token it reserved. Successive reservations are
// spread 1/perSecond apart, so a burst is queued rather than retried.
func (r *RateLimits) Reserve(ctx context.Context, key string, perSecond int, now time.Time) (time.Time, error) {
	interval := time.Second / time.Duration(max(perSecond, 1))
	burst := time.Second - interval
	k := map[string]types.AttributeValue{"bucket": s(key)}
	exp := n(now.Add(idleFor).Unix())
	for range 4 {
		_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(r.Table),
			Key:                 k,
			UpdateExpression:    aws.String("SET tat = :next, expires_at = :exp"),
			ConditionExpression: aws.String("attribute_not_exists(tat) OR tat <= :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":next": n(now.Add(interval).UnixMicro()), ":now": n(now.UnixMicro()), ":exp": exp,
			},
		})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			if err != nil {
				return time.Time{}, fmt.Errorf("rate limit %s: %w", key, err)
			}
			return now, nil
		}
		out, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(r.Table),
			Key:                 k,
			UpdateExpression:    aws.String("SET tat = tat + :interval, expires_at = :exp"),
			ConditionExpression: aws.String("tat > :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":interval": n(interval.Microseconds()), ":now": n(now.UnixMicro()), ":exp": exp,
			},
			ReturnValues: types.ReturnValueUpdatedNew,
		})
		if errors.As(err, &ccf) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("rate limit %s: %w", key, err)
		}
		slot := time.UnixMicro(getN(out.Attributes, "tat")).UTC().Add(-interval - burst)
		if slot.Before(now) {
			return now, nil
		}
		return slot, nil
	}
	return time.Time{}, fmt.Errorf("rate limit %s: the bucket kept changing", key)
}

// ClaimSlot counts one more use of key under way unless limit are already (a count whose
// latest claim lapsed is reset). It reports whether the use may go.
func (r *RateLimits) ClaimSlot(ctx context.Context, key string, limit int, now, lapse time.Time) (bool, error) {
	k := map[string]types.AttributeValue{"bucket": s(key)}
	exp := n(lapse.Add(idleFor).Unix())
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(r.Table),
		Key:                 k,
		UpdateExpression:    aws.String("SET inflight = if_not_exists(inflight, :zero) + :one, inflight_until = :lapse, expires_at = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(inflight) OR inflight < :limit"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": n(0), ":one": n(1), ":limit": n(int64(limit)), ":lapse": n(millis(lapse)), ":exp": exp,
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return false, fmt.Errorf("claim a slot of %s: %w", key, err)
		}
		return true, nil
	}
	_, err = r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       k,
		UpdateExpression:          aws.String("SET inflight = :one, inflight_until = :lapse, expires_at = :exp"),
		ConditionExpression:       aws.String("inflight_until < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":lapse": n(millis(lapse)), ":now": n(millis(now)), ":exp": exp},
	})
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim a slot of %s: %w", key, err)
	}
	return true, nil
}

// FreeSlot ends one use of key that ClaimSlot let go. The count never goes below zero, even
// after a lapsed count was reset.
func (r *RateLimits) FreeSlot(ctx context.Context, key string) error {
	_, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       map[string]types.AttributeValue{"bucket": s(key)},
		UpdateExpression:          aws.String("ADD inflight :minus"),
		ConditionExpression:       aws.String("inflight > :zero"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":zero": n(0)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("free a slot of %s: %w", key, err)
	}
	return nil
}
