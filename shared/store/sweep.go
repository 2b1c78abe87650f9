package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SweepPageSize is the most items one query of a sweep asks for.
const SweepPageSize = 250

// SweepCursor is where a sweep of a sharded index stopped in each shard when its budget ran
// out. The next sweep goes on from there to the end of what is due, then wraps to the head
// and reads up to where it began, so items at the head that are never handled cannot hide
// the ones behind them, however many there are. The zero value starts every shard at its
// head. A sweep returns a new cursor and never changes the one it was given.
type SweepCursor struct {
	after map[int64]map[string]types.AttributeValue
}

// Swept is one item a sweep found.
type Swept struct {
	ID string
	// At is the item's place in the index: its sweep time (events) or next attempt
	// (deliveries).
	At time.Time
	// Sweeps counts how often sweeps have queued the item again (events only).
	Sweeps int
	// Processed says the event has its processed marker: it only waits to leave the index
	// (events only).
	Processed bool
}

// shardedIndex is a sparse index spread over shards, sorted by a time in milliseconds.
type shardedIndex struct {
	table, index, shardAttr, sortAttr string
	shards                            int
}

// shardRun is one shard's part of a sweep.
type shardRun struct {
	shard int64
	// start is the next query's ExclusiveStartKey.
	start map[string]types.AttributeValue
	// resume is where the previous sweep stopped, until this one wraps to the head.
	resume map[string]types.AttributeValue
	upTo   int64
	done   bool
}

// sweep reads the items whose sort key is at most upTo, up to budget in all, from where
// the cursor says. Each round gives every shard with items left an equal share of what
// remains of the budget, so a deep shard cannot take a shallow one's turn.
func (ix shardedIndex) sweep(ctx context.Context, db DynamoDB, upTo int64, budget int, from SweepCursor) ([]Swept, SweepCursor, error) {
	runs := make([]*shardRun, ix.shards)
	for i := range runs {
		r := &shardRun{shard: int64(i), upTo: upTo}
		if key := from.after[r.shard]; key != nil && getN(key, ix.sortAttr) <= upTo {
			r.start, r.resume = key, key
		}
		runs[i] = r
	}
	var (
		out       []Swept
		seen      = map[string]bool{}
		remaining = budget
	)
	for remaining > 0 {
		var active []*shardRun
		for _, r := range runs {
			if !r.done {
				active = append(active, r)
			}
		}
		if len(active) == 0 {
			break
		}
		share := (remaining + len(active) - 1) / len(active)
		for _, r := range active {
			limit := min(share, remaining, SweepPageSize)
			if limit == 0 {
				break
			}
			items, err := ix.page(ctx, db, r, limit)
			if err != nil {
				return nil, from, fmt.Errorf("shard %d: %w", r.shard, err)
			}
			remaining -= len(items)
			for _, item := range items {
				id := getS(item, "id")
				if seen[id] {
					continue
				}
				seen[id] = true
				out = append(out, Swept{ID: id, At: fromMillis(getN(item, ix.sortAttr)), Sweeps: int(getN(item, "sweeps"))})
			}
		}
	}
	next := SweepCursor{after: map[int64]map[string]types.AttributeValue{}}
	for _, r := range runs {
		if !r.done && len(r.start) > 0 {
			next.after[r.shard] = r.start
		}
	}
	return out, next, nil
}

// page reads the next page of one shard and moves the run on: at the end of what is due it
// wraps to the head once, when the run began where a previous sweep stopped.
func (ix shardedIndex) page(ctx context.Context, db DynamoDB, r *shardRun, limit int) ([]map[string]types.AttributeValue, error) {
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(ix.table),
		IndexName:                 aws.String(ix.index),
		KeyConditionExpression:    aws.String(ix.shardAttr + " = :s AND " + ix.sortAttr + " <= :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": n(r.shard), ":c": n(r.upTo)},
		ExclusiveStartKey:         r.start,
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, err
	}
	r.start = out.LastEvaluatedKey
	if len(r.start) == 0 {
		if r.resume != nil {
			r.upTo, r.resume = getN(r.resume, ix.sortAttr), nil
		} else {
			r.done = true
		}
	}
	return out.Items, nil
}
