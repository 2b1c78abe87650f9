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

// The unprocessed index (the sweep index) holds, by shard and sweep time, the events that
// may never be processed unless the scheduler queues them again. It is written on the fault
// path only: an event enters it when queueing its key failed after it was stored, or when
// process fails it on one of the last receives before the dead-letter queue; an event
// queued at once never enters it. Processing an event writes its marker and leaves the
// index alone: the sweep takes the processed events it finds out of the index. Each time
// the scheduler queues an event again it moves the sweep time on, so an event that is
// queued but waits behind a backlog is not queued again at every tick.

// EnterSweep puts the event id into the sweep index with sweep time at, unless it is there
// already (its sweep time stays). It is the fault path of storing and queueing an event, so
// callers give it a context that outlives the failure (the scheduler finds the event after
// StuckAfter, processed or not). An event that does not exist is left alone.
func (e *Events) EnterSweep(ctx context.Context, id string, at time.Time) error {
	_, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(e.Table),
		Key:                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:    aws.String("SET pending_shard = :shard, sweep_at = :at"),
		ConditionExpression: aws.String("attribute_exists(id) AND attribute_not_exists(pending_shard)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":shard": n(pendingShard(id)), ":at": n(millis(at)),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("enter event %s in the sweep index: %w", id, err)
	}
	return nil
}

// LeaveSweep takes a processed event a sweep found out of the sweep index, unless another
// sweep has moved it since (it then comes up again, and goes then).
func (e *Events) LeaveSweep(ctx context.Context, found Swept) error {
	_, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(e.Table),
		Key:                       map[string]types.AttributeValue{"id": s(found.ID)},
		UpdateExpression:          aws.String("REMOVE pending_shard, sweep_at, sweeps"),
		ConditionExpression:       aws.String("sweep_at = :was"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":was": n(millis(found.At))},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("take event %s out of the sweep index: %w", found.ID, err)
	}
	return nil
}

func (e *Events) unprocessed() shardedIndex {
	return shardedIndex{table: e.Table, index: IndexUnprocessed, shardAttr: "pending_shard", sortAttr: "sweep_at", shards: PendingShards}
}

// SweepUnprocessed returns up to budget events of the sweep index whose sweep time is before
// cutoff, spread fairly over the index's shards and read from where the cursor says, each
// with whether its processed marker exists (read eventually consistently: one just written
// may be missed, and its event is queued once more for nothing), and the cursor the next
// sweep goes on from.
func (e *Events) SweepUnprocessed(ctx context.Context, cutoff time.Time, budget int, from SweepCursor) ([]Swept, SweepCursor, error) {
	found, next, err := e.unprocessed().sweep(ctx, e.DB, millis(cutoff)-1, budget, from)
	if err != nil {
		return nil, from, fmt.Errorf("sweep unprocessed events: %w", err)
	}
	if len(found) == 0 {
		return found, next, nil
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.ID
	}
	done, err := e.ProcessedAt(ctx, ids)
	if err != nil {
		return nil, from, fmt.Errorf("sweep unprocessed events: %w", err)
	}
	for i := range found {
		_, found[i].Processed = done[found[i].ID]
	}
	return found, next, nil
}

// ListUnprocessed returns the ids of up to limit events of the sweep index whose sweep time
// is before cutoff, oldest first within each shard, processed or not.
func (e *Events) ListUnprocessed(ctx context.Context, cutoff time.Time, limit int32) ([]string, error) {
	found, _, err := e.SweepUnprocessed(ctx, cutoff, int(limit), SweepCursor{})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.ID
	}
	return ids, nil
}

// MoveSweep records that a sweep queued the event it found again: its sweep time becomes at
// and its sweep count goes up by one. It reports false, changing nothing, when the event has
// left the index or another sweep has moved it since it was found.
func (e *Events) MoveSweep(ctx context.Context, found Swept, at time.Time) (bool, error) {
	_, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(e.Table),
		Key:                 map[string]types.AttributeValue{"id": s(found.ID)},
		UpdateExpression:    aws.String("SET sweep_at = :at, sweeps = :sweeps"),
		ConditionExpression: aws.String("attribute_exists(pending_shard) AND sweep_at = :was"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": n(millis(at)), ":sweeps": n(int64(found.Sweeps) + 1), ":was": n(millis(found.At)),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("move the sweep time of event %s: %w", found.ID, err)
	}
	return true, nil
}
