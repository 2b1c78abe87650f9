package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// An event's processed status lives apart from the event: a small marker item in the events
// table, written once when processing ends, so the large item holding the envelope and the
// raw body is written once and never updated (an update is billed at the item's size). The
// marker's key cannot be an event's ("#" is in no event id) and it has none of the indexes'
// keys. Events stored processed (a reaction's children, test events) say so on their own
// item and have no marker.

const processedPrefix = "processed#"

// ProcessedKey is the key of the marker that records that the event id was processed.
func ProcessedKey(id string) string { return processedPrefix + id }

// ProcessedEventOf returns the event whose processed marker has key, and whether key is a
// marker's at all (a scan of the events table meets both kinds of item).
func ProcessedEventOf(key string) (string, bool) { return strings.CutPrefix(key, processedPrefix) }

// MarkProcessed records that the event id was processed at at: its marker, which expires
// with the event (expires zero: never). It is the last step of processing an event; a
// second marking keeps the first time.
func (e *Events) MarkProcessed(ctx context.Context, id string, at, expires time.Time) error {
	item := map[string]types.AttributeValue{"id": s(ProcessedKey(id)), "processed_at": n(millis(at))}
	if !expires.IsZero() {
		item["expires_at"] = n(expires.Unix())
	}
	_, err := e.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(e.Table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark event %s processed: %w", id, err)
	}
	return nil
}

// ProcessedAt returns when each of ids that has been processed was, from their markers, read
// eventually consistently (a marker just written may be missed); ids not processed, or
// stored processed on their own item, are absent.
func (e *Events) ProcessedAt(ctx context.Context, ids []string) (map[string]time.Time, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = ProcessedKey(id)
	}
	items, err := batchGet(ctx, e.DB, e.Table, "id", keys)
	if err != nil {
		return nil, fmt.Errorf("read processed markers: %w", err)
	}
	out := make(map[string]time.Time, len(items))
	for key, item := range items {
		if id, ok := ProcessedEventOf(key); ok {
			out[id] = fromMillis(getN(item, "processed_at"))
		}
	}
	return out, nil
}

// Processed reads consistently whether the event id has its processed marker (an event
// stored processed has none).
func (e *Events) Processed(ctx context.Context, id string) (bool, error) {
	var ev Event
	if err := e.readMarker(ctx, id, &ev); err != nil {
		return false, err
	}
	return ev.Status == StatusProcessed, nil
}

// readMarker reads the event id's marker consistently and, when it exists, marks ev processed.
func (e *Events) readMarker(ctx context.Context, id string, ev *Event) error {
	out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(e.Table),
		Key:            map[string]types.AttributeValue{"id": s(ProcessedKey(id))},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("read whether event %s was processed: %w", id, err)
	}
	withMarker(ev, out.Item)
	return nil
}

// withMarker marks ev processed when marker is its marker item (nil when there is none).
func withMarker(ev *Event, marker map[string]types.AttributeValue) {
	if marker == nil || ev.Status == StatusProcessed {
		return
	}
	ev.Status, ev.ProcessedAt = StatusProcessed, fromMillis(getN(marker, "processed_at"))
}
