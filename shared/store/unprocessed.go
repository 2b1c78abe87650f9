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

// The unprocessed index holds every event not yet processed, by shard and sweep time. An
// event's sweep time starts as its receipt time; each time the scheduler queues the event
// again it moves the sweep time on, so an event that is queued but waits behind a backlog
// is not queued again at every tick.

func (e *Events) unprocessed() shardedIndex {
	return shardedIndex{table: e.Table, index: IndexUnprocessed, shardAttr: "pending_shard", sortAttr: "sweep_at", shards: PendingShards}
}

// SweepUnprocessed returns up to budget events not yet processed whose sweep time is before
// cutoff, spread fairly over the index's shards and read from where the cursor says, and
// the cursor the next sweep goes on from.
func (e *Events) SweepUnprocessed(ctx context.Context, cutoff time.Time, budget int, from SweepCursor) ([]Swept, SweepCursor, error) {
	found, next, err := e.unprocessed().sweep(ctx, e.DB, millis(cutoff)-1, budget, from)
	if err != nil {
		return nil, from, fmt.Errorf("sweep unprocessed events: %w", err)
	}
	return found, next, nil
}

// ListUnprocessed returns the ids of up to limit events not yet processed whose sweep time
// is before cutoff, oldest first within each shard.
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
// been processed or another sweep has moved it since it was found.
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
