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
}

// Subscriptions is the subscriptions table.
type Subscriptions struct {
	DB    DynamoDB
	Table string
}

// Create stores a new subscription.
func (t *Subscriptions) Create(ctx context.Context, sub Subscription) error {
	return t.put(ctx, sub, "attribute_not_exists(id)", nil)
}

// Update replaces a subscription that belongs to its tenant; ErrNotFound otherwise.
func (t *Subscriptions) Update(ctx context.Context, sub Subscription) error {
	return t.put(ctx, sub, "tenant_id = :t", map[string]types.AttributeValue{":t": s(sub.TenantID)})
}

func (t *Subscriptions) put(ctx context.Context, sub Subscription, cond string, values map[string]types.AttributeValue) error {
	sub.CreatedSort = createdSortKey(sub.CreatedAt, sub.ID)
	item, err := attributevalue.MarshalMap(sub)
	if err != nil {
		return fmt.Errorf("encode subscription %s: %w", sub.ID, err)
	}
	_, err = t.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Table), Item: item,
		ConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
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
