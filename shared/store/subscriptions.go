package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RetryPolicy overrides a subscription's default retry schedule.
type RetryPolicy struct {
	MaxAttempts         int    `dynamodbav:"max_attempts"`
	BackoffStrategy     string `dynamodbav:"backoff_strategy"`
	InitialDelaySeconds int    `dynamodbav:"initial_delay_seconds"`
}

// Subscription is an endpoint that receives a tenant's events of some types.
type Subscription struct {
	ID          string            `dynamodbav:"id"`
	TenantID    string            `dynamodbav:"tenant_id"`
	EndpointURL string            `dynamodbav:"endpoint_url"`
	Description string            `dynamodbav:"description,omitempty"`
	EventTypes  []string          `dynamodbav:"event_types"`
	Source      string            `dynamodbav:"source,omitempty"`
	Active      bool              `dynamodbav:"active"`
	RetryPolicy *RetryPolicy      `dynamodbav:"retry_policy,omitempty"`
	Version     string            `dynamodbav:"event_version"`
	Headers     map[string]string `dynamodbav:"headers,omitempty"`
	RateLimit   int               `dynamodbav:"rate_limit_per_second,omitempty"`
	// SealedSecrets is the subscription's signing secret set, sealed.
	SealedSecrets string    `dynamodbav:"secrets"`
	CreatedAt     time.Time `dynamodbav:"created_at"`
	UpdatedAt     time.Time `dynamodbav:"updated_at"`
	CreatedSort   string    `dynamodbav:"created_sort"`
	// Endpoint health, kept by deliveries: when failing began (Unix ms), how many attempts
	// failed in a row, when the open breaker lets the next probe through, and why the
	// subscription was disabled.
	FailingSinceMS      int64 `dynamodbav:"failing_since,omitempty"`
	ConsecutiveFailures int   `dynamodbav:"consecutive_failures,omitempty"`
	ProbeAtMS           int64 `dynamodbav:"probe_at,omitempty"`
	// InFlight counts attempts under way to the endpoint; InFlightUntilMS lets a count
	// left by a crashed worker lapse.
	InFlight        int    `dynamodbav:"inflight,omitempty"`
	InFlightUntilMS int64  `dynamodbav:"inflight_until,omitempty"`
	DisabledReason  string `dynamodbav:"disabled_reason,omitempty"`
	// Revision is the item's version as read: Update writes only from the latest one, and
	// Update and Disable move it on by one. (Version above is the pinned event version.)
	Revision int64 `dynamodbav:"version,omitempty"`
}

// Subscriptions is the subscriptions table.
type Subscriptions struct {
	DB    DynamoDB
	Table string
}

// Create stores a new subscription; ErrNotFound when one has its id already.
func (t *Subscriptions) Create(ctx context.Context, sub Subscription) error {
	sub.CreatedSort = createdSortKey(sub.CreatedAt, sub.ID)
	item, err := attributevalue.MarshalMap(sub)
	if err != nil {
		return fmt.Errorf("encode subscription %s: %w", sub.ID, err)
	}
	_, err = t.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("subscription %s: %w", sub.ID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("put subscription %s: %w", sub.ID, err)
	}
	return nil
}

// subscriptionFields are the attributes of a subscription the management API changes;
// Update writes these alone, never the endpoint health the delivery path keeps.
var subscriptionFields = []string{"endpoint_url", "description", "event_types", "source", "active", "retry_policy",
	"event_version", "headers", "rate_limit_per_second", "secrets", "updated_at"}

// Update writes the fields the management API owns of a subscription that belongs to its
// tenant and is still at sub.Revision, and moves it to the next revision. ErrNotFound when
// the tenant has no such subscription; ErrConflict when it was written (or disabled) since
// sub was read (read it again and re-apply the change).
func (t *Subscriptions) Update(ctx context.Context, sub Subscription) error {
	item, err := attributevalue.MarshalMap(sub)
	if err != nil {
		return fmt.Errorf("encode subscription %s: %w", sub.ID, err)
	}
	return updateOwned(ctx, t.DB, t.Table, "subscription", sub.ID, sub.TenantID, sub.Revision, item, subscriptionFields)
}

// Get loads a subscription by id; ErrNotFound when there is none.
func (t *Subscriptions) Get(ctx context.Context, id string) (Subscription, error) {
	out, err := t.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Table), Key: map[string]types.AttributeValue{"id": s(id)}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("get subscription %s: %w", id, err)
	}
	if out.Item == nil {
		return Subscription{}, fmt.Errorf("subscription %s: %w", id, ErrNotFound)
	}
	var sub Subscription
	if err := attributevalue.UnmarshalMap(out.Item, &sub); err != nil {
		return Subscription{}, fmt.Errorf("decode subscription %s: %w", id, err)
	}
	return sub, nil
}

// Delete removes a tenant's subscription; ErrNotFound when the tenant has none by that id.
func (t *Subscriptions) Delete(ctx context.Context, tenantID, id string) error {
	return deleteOwned(ctx, t.DB, t.Table, "subscription", tenantID, id)
}

// ListByTenant returns up to limit of a tenant's subscriptions that keep returns true for,
// oldest first, from cursor.
func (t *Subscriptions) ListByTenant(ctx context.Context, tenantID, cursor string, limit int32, keep func(Subscription) bool) (Page[Subscription], error) {
	var page Page[Subscription]
	for {
		items, next, err := queryByTenant(ctx, t.DB, t.Table, tenantID, cursor, limit-int32(len(page.Items)))
		if err != nil {
			return Page[Subscription]{}, fmt.Errorf("list subscriptions: %w", err)
		}
		for _, item := range items {
			var sub Subscription
			if err := attributevalue.UnmarshalMap(item, &sub); err != nil {
				return Page[Subscription]{}, fmt.Errorf("decode subscription: %w", err)
			}
			if keep == nil || keep(sub) {
				page.Items = append(page.Items, sub)
			}
		}
		cursor = next
		if next == "" || int32(len(page.Items)) >= limit {
			break
		}
	}
	page.Next = cursor
	return page, nil
}

// ClaimSlot counts one more attempt under way to the endpoint unless limit are already
// (counts older than their lapse time are reset). It reports whether the attempt may go.
func (t *Subscriptions) ClaimSlot(ctx context.Context, id string, limit int, now, lapse time.Time) (bool, error) {
	key := map[string]types.AttributeValue{"id": s(id)}
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Table),
		Key:                 key,
		UpdateExpression:    aws.String("SET inflight = if_not_exists(inflight, :zero) + :one, inflight_until = :lapse"),
		ConditionExpression: aws.String("attribute_exists(id) AND (attribute_not_exists(inflight) OR inflight < :limit)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": n(0), ":one": n(1), ":limit": n(int64(limit)), ":lapse": n(millis(lapse)),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return err == nil, notFoundOr(err, "claim a slot of subscription", id)
	}
	_, err = t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Table),
		Key:                       key,
		UpdateExpression:          aws.String("SET inflight = :one, inflight_until = :lapse"),
		ConditionExpression:       aws.String("attribute_exists(id) AND inflight_until < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":lapse": n(millis(lapse)), ":now": n(millis(now))},
	})
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, notFoundOr(err, "claim a slot of subscription", id)
}

// RecordSuccess frees the attempt's slot and, when clear is set, the failure state.
func (t *Subscriptions) RecordSuccess(ctx context.Context, id string, clear bool) error {
	expr := "ADD inflight :minus"
	if clear {
		expr += " REMOVE failing_since, probe_at, consecutive_failures"
	}
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(id)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1)},
	})
	return notFoundOr(err, "record success of subscription", id)
}

// RecordFailure frees the attempt's slot, notes the failure and returns the subscription
// as updated.
func (t *Subscriptions) RecordFailure(ctx context.Context, id string, now time.Time) (Subscription, error) {
	out, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:          aws.String("SET failing_since = if_not_exists(failing_since, :now) ADD consecutive_failures :one, inflight :minus"),
		ConditionExpression:       aws.String("attribute_exists(id)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(millis(now)), ":one": n(1), ":minus": n(-1)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err := notFoundOr(err, "record failure of subscription", id); err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	if err := attributevalue.UnmarshalMap(out.Attributes, &sub); err != nil {
		return Subscription{}, fmt.Errorf("decode subscription %s: %w", id, err)
	}
	return sub, nil
}

// ClaimProbe lets one delivery through an open breaker: it succeeds when no probe is due
// later than now, and moves the next probe to next.
func (t *Subscriptions) ClaimProbe(ctx context.Context, id string, now, next time.Time) (bool, error) {
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:          aws.String("SET probe_at = :next"),
		ConditionExpression:       aws.String("attribute_exists(id) AND (attribute_not_exists(probe_at) OR probe_at <= :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(millis(now)), ":next": n(millis(next))},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim probe of subscription %s: %w", id, err)
	}
	return true, nil
}

// Disable turns an active subscription off with a reason; changed is false when it was
// already inactive.
func (t *Subscriptions) Disable(ctx context.Context, id, reason string, now time.Time) (changed bool, err error) {
	_, err = t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Table),
		Key:                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:    aws.String("SET active = :false, disabled_reason = :why, updated_at = :now ADD version :one"),
		ConditionExpression: aws.String("active = :true"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":false": &types.AttributeValueMemberBOOL{Value: false}, ":true": &types.AttributeValueMemberBOOL{Value: true},
			":why": s(reason), ":now": s(now.UTC().Format(time.RFC3339Nano)), ":one": n(1),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("disable subscription %s: %w", id, err)
	}
	return true, nil
}

func notFoundOr(err error, what, id string) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	return nil
}
