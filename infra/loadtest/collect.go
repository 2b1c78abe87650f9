package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Stores reads what the pipeline left in the stack's tables and dead-letter queues.
type Stores struct {
	DB    *dynamodb.Client
	SQS   *sqs.Client
	State local.State
}

func (s Stores) scan(ctx context.Context, table, projection string, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.ScanInput{TableName: aws.String(s.State.Tables[table]), ConsistentRead: aws.Bool(true)}
	if projection != "" {
		in.ProjectionExpression = aws.String(projection)
		in.ExpressionAttributeNames = map[string]string{"#status": "status", "#type": "type"}
	}
	p := dynamodb.NewScanPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan %s: %w", table, err)
		}
		for _, item := range out.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

func attrS(item map[string]types.AttributeValue, k string) string {
	v, _ := item[k].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

func attrMillis(item map[string]types.AttributeValue, k string) time.Time {
	v, _ := item[k].(*types.AttributeValueMemberN)
	if v == nil {
		return time.Time{}
	}
	ms, _ := strconv.ParseInt(v.Value, 10, 64)
	return time.UnixMilli(ms).UTC()
}

// Events reads every stored event: id, type, status, received and processed times. The
// table also holds each processed event's marker, which sets its event's status.
func (s Stores) Events(ctx context.Context) ([]store.Event, error) {
	var out []store.Event
	processed := map[string]time.Time{}
	err := s.scan(ctx, topology.TableEvents, "id, #type, #status, received_at, processed_at", func(item map[string]types.AttributeValue) error {
		if id, ok := store.ProcessedEventOf(attrS(item, "id")); ok {
			processed[id] = attrMillis(item, "processed_at")
			return nil
		}
		out = append(out, store.Event{ID: attrS(item, "id"), Type: attrS(item, "type"), Status: attrS(item, "status"),
			ReceivedAt: attrMillis(item, "received_at"), ProcessedAt: attrMillis(item, "processed_at")})
		return nil
	})
	for i, e := range out {
		if at, ok := processed[e.ID]; ok && e.Status != store.StatusProcessed {
			out[i].Status, out[i].ProcessedAt = store.StatusProcessed, at
		}
	}
	return out, err
}

// Deliveries reads every delivery record with its attempts.
func (s Stores) Deliveries(ctx context.Context) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.scan(ctx, topology.TableDeliveries, "", func(item map[string]types.AttributeValue) error {
		var d store.Delivery
		if err := attributevalue.UnmarshalMap(item, &d); err != nil {
			return fmt.Errorf("decode delivery: %w", err)
		}
		d.NextAttemptAt = attrMillis(item, "next_attempt_at")
		out = append(out, d)
		return nil
	})
	return out, err
}

// Subscriptions reads every subscription.
func (s Stores) Subscriptions(ctx context.Context) ([]store.Subscription, error) {
	var out []store.Subscription
	err := s.scan(ctx, topology.TableSubscriptions, "", func(item map[string]types.AttributeValue) error {
		var sub store.Subscription
		if err := attributevalue.UnmarshalMap(item, &sub); err != nil {
			return fmt.Errorf("decode subscription: %w", err)
		}
		out = append(out, sub)
		return nil
	})
	return out, err
}

// DLQ returns the keys (event or delivery ids) of the messages in a queue's DLQ, without
// consuming them.
func (s Stores) DLQ(ctx context.Context, queue string) ([]string, error) {
	msgs, err := local.PeekQueue(ctx, s.SQS, s.State.DLQs[queue])
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(msgs))
	for _, m := range msgs {
		var body struct {
			EventID    string `json:"event_id"`
			DeliveryID string `json:"delivery_id"`
		}
		_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &body)
		keys = append(keys, body.EventID+body.DeliveryID)
	}
	return keys, nil
}

// QueuesEmpty reports whether the events, deliveries and commands queues hold no message:
// none visible, in flight or delayed. Work under way is on a queue until it is done, even
// where no index shows it (a delivery before its first lease, an event queued normally).
func (s Stores) QueuesEmpty(ctx context.Context) bool {
	for _, q := range []string{topology.QueueEvents, topology.QueueDeliveries, topology.QueueCommands} {
		url, ok := s.State.Queues[q]
		if !ok {
			continue
		}
		out, err := s.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			return false
		}
		for _, a := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed} {
			if v := out.Attributes[string(a)]; v != "" && v != "0" {
				return false
			}
		}
	}
	return true
}

// Pending lists the events of the sweep index not yet processed (processed ones wait there
// for the scheduler to take them out) and the deliveries waiting for a retry or a hold,
// from the tables' sparse indexes. Events queued at once are never in the sweep index, nor
// is a delivery before its first outcome (its message carries it): the queues' depth tells
// of them.
func (s Stores) Pending(ctx context.Context) (events, deliveries []string, err error) {
	if events, err = s.index(ctx, topology.TableEvents, store.IndexUnprocessed, "pending_shard", store.PendingShards); err != nil {
		return nil, nil, err
	}
	done, err := (&store.Events{DB: s.DB, Table: s.State.Tables[topology.TableEvents]}).ProcessedAt(ctx, events)
	if err != nil {
		return nil, nil, err
	}
	events = slices.DeleteFunc(events, func(id string) bool { _, ok := done[id]; return ok })
	deliveries, err = s.index(ctx, topology.TableDeliveries, store.IndexDue, "due_shard", store.DueShards)
	return events, deliveries, err
}

func (s Stores) index(ctx context.Context, table, index, shardAttr string, shards int) ([]string, error) {
	var ids []string
	for shard := range shards {
		p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
			TableName:                 aws.String(s.State.Tables[table]),
			IndexName:                 aws.String(index),
			KeyConditionExpression:    aws.String(shardAttr + " = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberN{Value: strconv.Itoa(shard)}},
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("query %s.%s: %w", table, index, err)
			}
			for _, item := range out.Items {
				ids = append(ids, attrS(item, "id"))
			}
		}
	}
	return ids, nil
}
