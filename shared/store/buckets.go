package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrBucketFull means a reservation would have to wait longer than the caller allows.
var ErrBucketFull = errors.New("rate-limit bucket is booked beyond the longest wait")

// Bucket is a token bucket's shape: one token every Interval, at most Burst at once.
type Bucket struct {
	Interval time.Duration
	Burst    int
}

// tolerance is how far ahead of now the bucket's clock may run: Burst-1 intervals.
func (b Bucket) tolerance() time.Duration { return b.Interval * time.Duration(max(b.Burst, 1)-1) }

// Buckets are token buckets shared by every container, kept in the rate-limits table as the
// generic cell rate algorithm: a bucket is one number, its theoretical arrival time (TAT), and
// a call reserves its slot with one conditional write. Which of the two writes fits (the
// bucket idle, or booked ahead) is guessed from the last TAT this container saw; a wrong
// guess costs a second write.
type Buckets struct {
	DB    DynamoDB
	Table string

	hints sync.Map // key → last TAT seen, in microseconds
}

// maxTries bounds the writes of one reservation when other containers race for the bucket.
const maxTries = 8

// Reserve books the next slot of key's bucket at now and returns how long to wait before
// using it. It books nothing and returns ErrBucketFull when the wait would exceed maxWait.
func (b *Buckets) Reserve(ctx context.Context, key string, shape Bucket, maxWait time.Duration, now time.Time) (time.Duration, error) {
	nowUS, interval, tau := now.UnixMicro(), shape.Interval.Microseconds(), shape.tolerance().Microseconds()
	expires := n(now.Add(shape.tolerance() + maxWait + time.Minute).Unix())
	for range maxTries {
		if b.hint(key) <= nowUS {
			tat, applied, err := b.write(ctx, key, "SET tat = :next, expires_at = :exp", "attribute_not_exists(tat) OR tat <= :now",
				map[string]types.AttributeValue{":next": n(nowUS + interval), ":now": n(nowUS), ":exp": expires})
			if err != nil {
				return 0, err
			}
			if applied {
				b.hints.Store(key, nowUS+interval)
				return 0, nil
			}
			b.hints.Store(key, tat)
			continue
		}
		limit := nowUS + tau + maxWait.Microseconds()
		tat, applied, err := b.write(ctx, key, "SET tat = tat + :i, expires_at = :exp", "tat > :now AND tat <= :limit",
			map[string]types.AttributeValue{":i": n(interval), ":now": n(nowUS), ":limit": n(limit), ":exp": expires})
		if err != nil {
			return 0, err
		}
		b.hints.Store(key, tat)
		switch {
		case applied:
			return time.Duration(max(0, tat-interval-tau-nowUS)) * time.Microsecond, nil
		case tat > limit:
			return 0, fmt.Errorf("bucket %s: %w", key, ErrBucketFull)
		}
	}
	return 0, fmt.Errorf("bucket %s: %d writes lost the race for it", key, maxTries)
}

// Hold keeps key's bucket empty until until (a provider said its quota resets then), unless
// it is booked beyond that already.
func (b *Buckets) Hold(ctx context.Context, key string, shape Bucket, until time.Time) error {
	tat := until.UnixMicro() + shape.tolerance().Microseconds()
	_, _, err := b.write(ctx, key, "SET tat = :tat, expires_at = :exp", "attribute_not_exists(tat) OR tat < :tat",
		map[string]types.AttributeValue{":tat": n(tat), ":exp": n(until.Add(shape.tolerance() + time.Minute).Unix())})
	if err == nil {
		b.hints.Store(key, tat)
	}
	return err
}

func (b *Buckets) hint(key string) int64 {
	v, ok := b.hints.Load(key)
	if !ok {
		return 0
	}
	return v.(int64)
}

// write applies one conditional update to key's bucket and returns the TAT it left (the
// new one when applied, the standing one when not).
func (b *Buckets) write(ctx context.Context, key, update, cond string, values map[string]types.AttributeValue) (int64, bool, error) {
	out, err := b.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(b.Table),
		Key:                                 map[string]types.AttributeValue{"bucket": s(key)},
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return getN(out.Attributes, "tat"), true, nil
	case errors.As(err, &ccf):
		return getN(ccf.Item, "tat"), false, nil
	default:
		return 0, false, fmt.Errorf("bucket %s: %w", key, err)
	}
}
