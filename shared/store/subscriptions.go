package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// FastSinceMS, when set, is when the endpoint became known to be fast: every attempt
	// since answered 2xx quickly. Any failure, slow attempt or management update clears it.
	FastSinceMS int64 `dynamodbav:"fast_since,omitempty"`
	// The count of attempts under way to the endpoint lives in the rate-limit table.
	DisabledReason string `dynamodbav:"disabled_reason,omitempty"`
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
// tenant and is still at sub.Revision, and moves it to the next revision. It clears the
// endpoint's fast mark (the endpoint, its headers or its secret may have changed), nothing
// else of its health. ErrNotFound when the tenant has no such subscription; ErrConflict
// when it was written (or disabled) since sub was read (read it again and re-apply the
// change).
func (t *Subscriptions) Update(ctx context.Context, sub Subscription) error {
	item, err := attributevalue.MarshalMap(sub)
	if err != nil {
		return fmt.Errorf("encode subscription %s: %w", sub.ID, err)
	}
	delete(item, "fast_since")
	return updateOwned(ctx, t.DB, t.Table, "subscription", sub.ID, sub.TenantID, sub.Revision, item,
		append(slices.Clip(subscriptionFields), "fast_since"))
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
// oldest first, from cursor. keep sees only what the index projects: the id, tenant,
// active, event types and source; the subscriptions it keeps are read whole.
func (t *Subscriptions) ListByTenant(ctx context.Context, tenantID, cursor string, limit int32, keep func(Subscription) bool) (Page[Subscription], error) {
	routing, err := t.ListRouting(ctx, tenantID, cursor, limit, keep)
	if err != nil {
		return Page[Subscription]{}, err
	}
	ids := make([]string, len(routing.Items))
	for i, sub := range routing.Items {
		ids[i] = sub.ID
	}
	items, err := batchGet(ctx, t.DB, t.Table, "id", ids)
	if err != nil {
		return Page[Subscription]{}, fmt.Errorf("list subscriptions: %w", err)
	}
	page := Page[Subscription]{Next: routing.Next}
	for _, item := range inOrder(ids, items) {
		var sub Subscription
		if err := attributevalue.UnmarshalMap(item, &sub); err != nil {
			return Page[Subscription]{}, fmt.Errorf("decode subscription: %w", err)
		}
		page.Items = append(page.Items, sub)
	}
	return page, nil
}

// RoutingAttributes are the attributes of a subscription its tenant's index projects: what
// deciding whether it receives an event needs.
var RoutingAttributes = []string{"active", "event_types", "source"}

// ListRouting is ListByTenant without reading the subscriptions whole: each holds only its
// id, tenant, active flag, event types and source. Fan-out needs no more.
func (t *Subscriptions) ListRouting(ctx context.Context, tenantID, cursor string, limit int32, keep func(Subscription) bool) (Page[Subscription], error) {
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

// RecordSuccess notes a 2xx: it clears the endpoint's failure state (a 2xx closes its
// breaker) and marks the endpoint fast since fastSince (a mark already there is kept), or,
// with fastSince zero, clears the mark.
func (t *Subscriptions) RecordSuccess(ctx context.Context, id string, fastSince time.Time) error {
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Table),
		Key:                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:    aws.String("REMOVE failing_since, probe_at, consecutive_failures, fast_since"),
		ConditionExpression: aws.String("attribute_exists(id)"),
	}
	if !fastSince.IsZero() {
		in.UpdateExpression = aws.String("SET fast_since = if_not_exists(fast_since, :fast) REMOVE failing_since, probe_at, consecutive_failures")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":fast": n(millis(fastSince))}
	}
	_, err := t.DB.UpdateItem(ctx, in)
	return notFoundOr(err, "record success of subscription", id)
}

// ClearFast removes the endpoint's fast mark, when it has one: an attempt is taking longer
// than a fast endpoint's.
func (t *Subscriptions) ClearFast(ctx context.Context, id string) error {
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Table),
		Key:                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:    aws.String("REMOVE fast_since"),
		ConditionExpression: aws.String("attribute_exists(fast_since)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("clear the fast mark of subscription %s: %w", id, err)
	}
	return nil
}

// RecordFailure notes a failed attempt: one more failure in a row, failing since now unless
// it already was, no probe through an open breaker before probeAt, and no fast mark.
func (t *Subscriptions) RecordFailure(ctx context.Context, id string, now, probeAt time.Time) error {
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Table),
		Key:                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:    aws.String("SET failing_since = if_not_exists(failing_since, :now), probe_at = :probe REMOVE fast_since ADD consecutive_failures :one"),
		ConditionExpression: aws.String("attribute_exists(id)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": n(millis(now)), ":probe": n(millis(probeAt)), ":one": n(1),
		},
	})
	return notFoundOr(err, "record failure of subscription", id)
}

// ClaimProbe lets one delivery through an open breaker: it succeeds when no probe is due
// later than now, and moves the next probe to next. It returns the next probe's time: next
// when claimed, else the time another delivery's claim or failure set.
func (t *Subscriptions) ClaimProbe(ctx context.Context, id string, now, next time.Time) (bool, time.Time, error) {
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(t.Table),
		Key:                                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:                    aws.String("SET probe_at = :next"),
		ConditionExpression:                 aws.String("attribute_exists(id) AND (attribute_not_exists(probe_at) OR probe_at <= :now)"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": n(millis(now)), ":next": n(millis(next))},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil {
			return false, time.Time{}, fmt.Errorf("claim probe of subscription %s: %w", id, ErrNotFound)
		}
		return false, fromMillis(getN(ccf.Item, "probe_at")), nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("claim probe of subscription %s: %w", id, err)
	}
	return true, next, nil
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
