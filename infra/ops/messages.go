package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// messageInfo is what a DLQ message and the item it names carry: no new writes, only
// what the message, its event, delivery or job already say.
type messageInfo struct {
	Queue          string    `json:"queue"`
	MessageID      string    `json:"message_id"`
	SentAt         time.Time `json:"sent_at"`
	Receives       int       `json:"receives"`
	Kind           string    `json:"kind" doc:"event, delivery, job or unknown"`
	TenantID       string    `json:"tenant_id,omitempty"`
	EventID        string    `json:"event_id,omitempty"`
	EventType      string    `json:"event_type,omitempty"`
	DeliveryID     string    `json:"delivery_id,omitempty"`
	SubscriptionID string    `json:"subscription_id,omitempty"`
	JobID          string    `json:"job_id,omitempty"`
	Status         string    `json:"status,omitempty"`
	LastError      string    `json:"last_error,omitempty"`
}

// describe reads what each message names: its event (events and commands queues), its
// delivery (deliveries queue) or its job, in one batch read per table.
func describe(ctx context.Context, t *Target, q string, msgs []sqstypes.Message) ([]messageInfo, error) {
	infos := make([]messageInfo, len(msgs))
	want := map[string][]string{}
	for i, m := range msgs {
		info := messageInfo{Queue: q, MessageID: aws.ToString(m.MessageId), Kind: "unknown"}
		if ms, err := strconv.ParseInt(m.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
			info.SentAt = time.UnixMilli(ms).UTC()
		}
		info.Receives, _ = strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
		body := aws.ToString(m.Body)
		if job, err := queue.ParseJobMessage(body); err == nil {
			info.Kind, info.JobID = "job", job.JobID
			want[topology.TableJobs] = append(want[topology.TableJobs], job.JobID)
		} else if id, err := queue.ParseEventMessage(body); err == nil {
			info.Kind, info.EventID = "event", id
			want[topology.TableEvents] = append(want[topology.TableEvents], id)
		} else if dm, err := queue.ParseDelivery(body); err == nil {
			info.Kind, info.DeliveryID = "delivery", dm.DeliveryID
			if nd := dm.New; nd != nil {
				// Fan-out's message: its record is created at its first lease, maybe never.
				info.TenantID, info.EventID, info.EventType, info.SubscriptionID = nd.TenantID, nd.EventID, nd.EventType, nd.SubscriptionID
			}
			want[topology.TableDeliveries] = append(want[topology.TableDeliveries], dm.DeliveryID)
		}
		infos[i] = info
	}
	found := map[string]map[string]ddbtypes.AttributeValue{}
	for table, ids := range want {
		items, err := batchGet(ctx, t.DB, t.table(table), ids)
		if err != nil {
			return nil, err
		}
		for id, item := range items {
			found[table+"/"+id] = item
		}
	}
	var processed map[string]time.Time
	if ids := want[topology.TableEvents]; len(ids) > 0 {
		var err error
		events := &store.Events{DB: t.DB, Table: t.table(topology.TableEvents)}
		if processed, err = events.ProcessedAt(ctx, ids); err != nil {
			return nil, err
		}
	}
	for i := range infos {
		info := &infos[i]
		switch info.Kind {
		case "event":
			item := found[topology.TableEvents+"/"+info.EventID]
			info.TenantID, info.EventType, info.Status = attrS(item, "tenant_id"), attrS(item, "type"), attrS(item, "status")
			if _, ok := processed[info.EventID]; ok {
				info.Status = store.StatusProcessed
			}
		case "delivery":
			item := found[topology.TableDeliveries+"/"+info.DeliveryID]
			info.TenantID, info.EventID = or(attrS(item, "tenant_id"), info.TenantID), or(attrS(item, "event_id"), info.EventID)
			info.EventType, info.SubscriptionID = or(attrS(item, "event_type"), info.EventType), or(attrS(item, "subscription_id"), info.SubscriptionID)
			info.Status, info.LastError = attrS(item, "status"), lastError(item)
		case "job":
			item := found[topology.TableJobs+"/"+info.JobID]
			info.TenantID, info.EventType, info.Status, info.LastError = attrS(item, "tenant_id"), attrS(item, "kind"), attrS(item, "status"), attrS(item, "error")
		}
	}
	return infos, nil
}

// lastError is a delivery's recorded reason, else its last attempt's error or status.
func lastError(item map[string]ddbtypes.AttributeValue) string {
	if r := attrS(item, "reason"); r != "" {
		return r
	}
	attempts, _ := item["attempts"].(*ddbtypes.AttributeValueMemberL)
	if attempts == nil || len(attempts.Value) == 0 {
		return ""
	}
	last, _ := attempts.Value[len(attempts.Value)-1].(*ddbtypes.AttributeValueMemberM)
	if last == nil {
		return ""
	}
	if e := attrS(last.Value, "error"); e != "" {
		return e
	}
	if n, ok := last.Value["status"].(*ddbtypes.AttributeValueMemberN); ok {
		return "answered " + n.Value
	}
	return ""
}

func attrS(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// batchGet reads the items of ids (keyed by "id") from table, 100 to a call.
func batchGet(ctx context.Context, db *dynamodb.Client, table string, ids []string) (map[string]map[string]ddbtypes.AttributeValue, error) {
	out := map[string]map[string]ddbtypes.AttributeValue{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for chunk := range slices.Chunk(ids, 100) {
		keys := make([]map[string]ddbtypes.AttributeValue, len(chunk))
		for i, id := range chunk {
			keys[i] = map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}}
		}
		req := map[string]ddbtypes.KeysAndAttributes{table: {Keys: keys}}
		for len(req) > 0 {
			res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", table, err)
			}
			for _, item := range res.Responses[table] {
				out[attrS(item, "id")] = item
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// filter selects DLQ messages; empty fields select everything.
type filter struct {
	tenant, event, subscription, typ string
}

func (f filter) empty() bool { return f == filter{} }

// match reports whether a message is selected: every field given must match; a type
// ending in ".*" matches its family.
func (f filter) match(i messageInfo) bool {
	switch {
	case f.tenant != "" && i.TenantID != f.tenant,
		f.event != "" && i.EventID != f.event,
		f.subscription != "" && i.SubscriptionID != f.subscription:
		return false
	case f.typ == "" || f.typ == "*" || f.typ == i.EventType:
		return true
	case strings.HasSuffix(f.typ, ".*"):
		return strings.HasPrefix(i.EventType, strings.TrimSuffix(f.typ, "*"))
	}
	return false
}

func (f filter) String() string {
	var parts []string
	for name, v := range map[string]string{"tenant": f.tenant, "event": f.event, "subscription": f.subscription, "type": f.typ} {
		if v != "" {
			parts = append(parts, name+" "+v)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
