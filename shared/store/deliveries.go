package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Delivery statuses. Pending and retrying deliveries are live; the others are final.
const (
	DeliveryPending   = "pending"
	DeliveryRetrying  = "retrying"
	DeliveryDelivered = "delivered"
	DeliveryExhausted = "exhausted"
	DeliveryFailed    = "failed"
)

// Index names of the deliveries table.
const (
	IndexBySubscription = "by_subscription"
	IndexDue            = "due"
)

// DueShards is how many partitions the sparse index of live deliveries spreads over.
const DueShards = 4

// Attempt is one POST of a delivery.
type Attempt struct {
	Number     int       `dynamodbav:"n" json:"number"`
	At         time.Time `dynamodbav:"at" json:"at"`
	StatusCode int       `dynamodbav:"status,omitempty" json:"status_code,omitempty"`
	LatencyMS  int64     `dynamodbav:"ms" json:"latency_ms"`
	Error      string    `dynamodbav:"error,omitempty" json:"error,omitempty"`
	// Response is the response body, truncated to 4 KiB.
	Response string `dynamodbav:"response,omitempty" json:"response,omitempty"`
}

// Delivery is one event on its way to one subscription, with its retry state and attempts.
type Delivery struct {
	ID             string    `dynamodbav:"id"`
	TenantID       string    `dynamodbav:"tenant_id"`
	SubscriptionID string    `dynamodbav:"subscription_id"`
	EventID        string    `dynamodbav:"event_id"`
	EventType      string    `dynamodbav:"event_type"`
	MessageID      string    `dynamodbav:"message_id"`
	Replay         int       `dynamodbav:"replay"`
	Status         string    `dynamodbav:"status"`
	Attempts       []Attempt `dynamodbav:"attempts"`
	// AttemptCount is how many attempts were made in all, the ones cut from the log included.
	AttemptCount int `dynamodbav:"attempt_count,omitempty"`
	// Reason says why the delivery failed or was exhausted, or the last error that pushed
	// its next attempt back.
	Reason string `dynamodbav:"reason,omitempty"`
	// Faults counts the runs in a row that ended in an error before any attempt.
	Faults int `dynamodbav:"faults,omitempty"`
	// Holds counts the runs in a row held because the endpoint had no free slot.
	Holds int `dynamodbav:"holds,omitempty"`
	// RateSlotAt is the time the subscription's rate limit reserved for the next attempt.
	RateSlotAt time.Time `dynamodbav:"-"`
	// Reschedules counts the manual retries; Release keeps one made during a lease.
	Reschedules int `dynamodbav:"reschedules,omitempty"`
	// NextAttemptAt is when the next attempt is due; zero once final.
	NextAttemptAt time.Time `dynamodbav:"-"`
	LeaseUntil    time.Time `dynamodbav:"-"`
	LeaseOwner    string    `dynamodbav:"lease_owner,omitempty"`
	CreatedAt     time.Time `dynamodbav:"created_at"`
	UpdatedAt     time.Time `dynamodbav:"updated_at"`
	ExpiresAt     time.Time `dynamodbav:"-"`
}

// Live reports whether the delivery still has attempts to make.
func (d Delivery) Live() bool { return d.Status == DeliveryPending || d.Status == DeliveryRetrying }

// Deliveries is the deliveries table.
type Deliveries struct {
	DB    DynamoDB
	Table string
}

func dueShard(id string) int64 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int64(h.Sum32() % DueShards)
}

func deliveryItem(d Delivery) (map[string]types.AttributeValue, error) {
	if d.Attempts == nil {
		d.Attempts = []Attempt{}
	}
	item, err := attributevalue.MarshalMap(d)
	if err != nil {
		return nil, fmt.Errorf("encode delivery %s: %w", d.ID, err)
	}
	item["sub_sort"] = s(createdSortKey(d.CreatedAt, d.ID))
	if d.Live() && !d.NextAttemptAt.IsZero() {
		item["due_shard"] = n(dueShard(d.ID))
		item["next_attempt_at"] = n(millis(d.NextAttemptAt))
	}
	if !d.LeaseUntil.IsZero() {
		item["lease_until"] = n(millis(d.LeaseUntil))
	}
	if !d.RateSlotAt.IsZero() {
		item["rate_slot"] = n(millis(d.RateSlotAt))
	}
	if !d.ExpiresAt.IsZero() {
		item["expires_at"] = n(d.ExpiresAt.Unix())
	}
	return item, nil
}

func deliveryFromItem(item map[string]types.AttributeValue) (Delivery, error) {
	var d Delivery
	if err := attributevalue.UnmarshalMap(item, &d); err != nil {
		return Delivery{}, fmt.Errorf("decode delivery: %w", err)
	}
	d.NextAttemptAt = fromMillis(getN(item, "next_attempt_at"))
	d.LeaseUntil = fromMillis(getN(item, "lease_until"))
	d.RateSlotAt = fromMillis(getN(item, "rate_slot"))
	if d.AttemptCount < len(d.Attempts) {
		d.AttemptCount = len(d.Attempts)
	}
	if exp := getN(item, "expires_at"); exp > 0 {
		d.ExpiresAt = time.Unix(exp, 0).UTC()
	}
	return d, nil
}

// Create stores a new delivery; created is false when one with its id exists.
func (t *Deliveries) Create(ctx context.Context, d Delivery) (created bool, err error) {
	item, err := deliveryItem(d)
	if err != nil {
		return false, err
	}
	_, err = t.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create delivery %s: %w", d.ID, err)
	}
	return true, nil
}

// Get loads a delivery; ErrNotFound when there is none.
func (t *Deliveries) Get(ctx context.Context, id string) (Delivery, error) {
	out, err := t.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Table), Key: map[string]types.AttributeValue{"id": s(id)}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	if out.Item == nil {
		return Delivery{}, fmt.Errorf("delivery %s: %w", id, ErrNotFound)
	}
	return deliveryFromItem(out.Item)
}

// ListBySubscription returns up to limit of a subscription's deliveries, newest first. The
// index holds their keys alone, so leasing and releasing a delivery never rewrites it.
func (t *Deliveries) ListBySubscription(ctx context.Context, subscriptionID, cursor string, limit int32) (Page[Delivery], error) {
	start, err := decodeCursor(cursor)
	if err != nil {
		return Page[Delivery]{}, err
	}
	out, err := t.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(t.Table),
		IndexName:                 aws.String(IndexBySubscription),
		KeyConditionExpression:    aws.String("subscription_id = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": s(subscriptionID)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(limit),
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return Page[Delivery]{}, fmt.Errorf("list deliveries of %s: %w", subscriptionID, err)
	}
	ids := make([]string, len(out.Items))
	for i, k := range out.Items {
		ids[i] = getS(k, "id")
	}
	items, err := batchGet(ctx, t.DB, t.Table, "id", ids)
	if err != nil {
		return Page[Delivery]{}, fmt.Errorf("list deliveries of %s: %w", subscriptionID, err)
	}
	page := Page[Delivery]{Next: encodeCursor(out.LastEvaluatedKey)}
	for _, item := range inOrder(ids, items) {
		d, err := deliveryFromItem(item)
		if err != nil {
			return Page[Delivery]{}, err
		}
		page.Items = append(page.Items, d)
	}
	return page, nil
}

// ListDue returns up to budget live deliveries due at or before now, spread fairly over the
// index's shards and read from where the cursor says, and the cursor the next sweep goes on
// from.
func (t *Deliveries) ListDue(ctx context.Context, now time.Time, budget int, from SweepCursor) ([]string, SweepCursor, error) {
	ix := shardedIndex{table: t.Table, index: IndexDue, shardAttr: "due_shard", sortAttr: "next_attempt_at", shards: DueShards}
	found, next, err := ix.sweep(ctx, t.DB, millis(now), budget, from)
	if err != nil {
		return nil, from, fmt.Errorf("list due deliveries: %w", err)
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.ID
	}
	return ids, next, nil
}
