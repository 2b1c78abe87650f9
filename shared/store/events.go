package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Event statuses. An event is received when stored and processed once every side effect of
// processing it is done.
const (
	StatusReceived  = "received"
	StatusProcessed = "processed"
)

// Index names of the events table.
const (
	IndexTenantTime = "by_tenant_time"
	// IndexUnprocessed is sorted by sweep time; it has a name of its own because an
	// index's keys cannot change in place (the one before it, "unprocessed", was sorted by
	// receipt time).
	IndexUnprocessed = "unprocessed_sweep"
	// IndexCorrelation holds the derived events of each correlation id (the root is its id).
	IndexCorrelation = "by_correlation"
)

// PendingShards is how many partitions the sparse index of unprocessed events spreads over.
const PendingShards = 4

// MaxItemBytes is DynamoDB's item size limit.
const MaxItemBytes = 400 * 1024

// Event is a stored event: its envelope and the raw body it came from.
type Event struct {
	ID            string
	TenantID      string
	ConnectionID  string
	Type          string
	CorrelationID string
	// Status is StatusReceived or StatusProcessed. PutNew stores an event received unless
	// it says processed (with ProcessedAt, else ReceivedAt): an event processed by whatever
	// stores it (a reaction's child, a test event) is written once, with its status.
	Status string
	Time   time.Time
	// Envelope is the normalized CloudEvents JSON.
	Envelope []byte
	// Raw is the provider's raw body; nil for the events we derive or emit.
	Raw []byte
	// Body is Envelope and Raw as stored (EncodeBody); PutNew encodes them when it is nil.
	Body        []byte
	ReceivedAt  time.Time
	ProcessedAt time.Time
	ExpiresAt   time.Time
}

// Events is the events table.
type Events struct {
	DB    DynamoDB
	Table string
}

func tenantSortKey(t time.Time, id string) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id
}

func pendingShard(id string) int64 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int64(h.Sum32() % PendingShards)
}

// ItemSize estimates the stored size of ev, in bytes, the way DynamoDB counts it closely
// enough to refuse what cannot fit: from its Body when encoded, else from the envelope and
// the raw body as they are.
func ItemSize(ev Event) int {
	const overhead = 512
	body := len(ev.Body)
	if ev.Body == nil {
		body = len(ev.Envelope) + len(ev.Raw)
	}
	return overhead + len(ev.ID)*2 + len(ev.TenantID) + len(ev.ConnectionID) + len(ev.Type) + len(ev.CorrelationID) + body
}

// PutNew stores ev unless an event with its id exists. It is the idempotency protocol's one
// write: when the id exists it returns the stored event and duplicate true, without changing
// it; the status of a duplicate stored received comes from its processed marker, read
// consistently (a second call, on duplicates only). A new event is in no sweep index: when
// queueing it fails, the caller enters it (EnterSweep).
func (e *Events) PutNew(ctx context.Context, ev Event) (existing Event, duplicate bool, err error) {
	body := ev.Body
	if body == nil {
		if body, err = EncodeBody(ev.Envelope, ev.Raw); err != nil {
			return Event{}, false, err
		}
	}
	item := map[string]types.AttributeValue{
		"id":            s(ev.ID),
		"tenant_id":     s(ev.TenantID),
		"connection_id": s(ev.ConnectionID),
		"type":          s(ev.Type),
		"status":        s(StatusReceived),
		"time":          s(ev.Time.UTC().Format(time.RFC3339Nano)),
		"tenant_sort":   s(tenantSortKey(ev.Time, ev.ID)),
		"body":          &types.AttributeValueMemberB{Value: body},
		"received_at":   n(millis(ev.ReceivedAt)),
	}
	// The correlation index holds the events that descend from another: a root event's
	// correlation id is its own id, so the root is found by its key.
	if ev.CorrelationID != "" && ev.CorrelationID != ev.ID {
		item["correlation_id"] = s(ev.CorrelationID)
	}
	if ev.Status == StatusProcessed {
		item["status"], item["processed_at"] = s(StatusProcessed), n(millis(cmp.Or(ev.ProcessedAt, ev.ReceivedAt)))
	}
	if !ev.ExpiresAt.IsZero() {
		item["expires_at"] = n(ev.ExpiresAt.Unix())
	}
	_, err = e.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(e.Table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(id)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Event{}, false, nil
	case errors.As(err, &ccf):
		existing = eventFromItem(ccf.Item)
		if existing.Status != StatusProcessed {
			if err := e.readMarker(ctx, ev.ID, &existing); err != nil {
				return Event{}, true, err
			}
		}
		return existing, true, nil
	default:
		return Event{}, false, fmt.Errorf("put event %s: %w", ev.ID, err)
	}
}

// Get loads an event by id with its status, reading the event and its processed marker
// consistently in one call; ErrNotFound when there is none.
func (e *Events) Get(ctx context.Context, id string) (Event, error) {
	if _, marker := ProcessedEventOf(id); marker {
		return Event{}, fmt.Errorf("event %s: %w", id, ErrNotFound)
	}
	items, err := readItems(ctx, e.DB, e.Table, "id", []string{id, ProcessedKey(id)}, true)
	if err != nil {
		return Event{}, fmt.Errorf("get event %s: %w", id, err)
	}
	item, ok := items[id]
	if !ok {
		return Event{}, fmt.Errorf("event %s: %w", id, ErrNotFound)
	}
	ev := eventFromItem(item)
	withMarker(&ev, items[ProcessedKey(id)])
	return ev, nil
}

// GetEventually loads an event with an eventually consistent read, which costs half a
// consistent one, and reads consistently only when that finds nothing. An event is written
// once before anything that reads it this way is queued, so the cheap read sees it whole
// or not at all. It reads the event's item alone: its status is processed only when the
// event was stored processed, never from its marker (process runs its idempotent steps
// again rather than pay for that read; deliver ignores the status). ErrNotFound when there
// is none.
func (e *Events) GetEventually(ctx context.Context, id string) (Event, error) {
	out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(e.Table),
		Key:       map[string]types.AttributeValue{"id": s(id)},
	})
	if err != nil {
		return Event{}, fmt.Errorf("get event %s: %w", id, err)
	}
	if out.Item == nil {
		return e.Get(ctx, id)
	}
	return eventFromItem(out.Item), nil
}

// EventFilter narrows a tenant's event list; zero fields do not filter.
type EventFilter struct {
	Type         string
	Since, Until time.Time
}

// NextReplay counts one more replay of an event and returns its number (1 for the first).
func (e *Events) NextReplay(ctx context.Context, id string) (int, error) {
	out, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(e.Table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:          aws.String("ADD replays :one"),
		ConditionExpression:       aws.String("attribute_exists(id)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err := notFoundOr(err, "count a replay of event", id); err != nil {
		return 0, err
	}
	return int(getN(out.Attributes, "replays")), nil
}

// ListByTenant returns up to limit of a tenant's events matching f, newest first, from
// cursor ("" for the first page). The index holds each event's keys and type; the events
// are read whole from the table, with their processed markers, in the same calls.
func (e *Events) ListByTenant(ctx context.Context, tenantID string, f EventFilter, cursor string, limit int32) (Page[Event], error) {
	start, err := decodeCursor(cursor)
	if err != nil {
		return Page[Event]{}, err
	}
	cond := "tenant_id = :t"
	values := map[string]types.AttributeValue{":t": s(tenantID)}
	if !f.Since.IsZero() || !f.Until.IsZero() {
		lower, upper := "0", "9999"
		if !f.Since.IsZero() {
			lower = tenantSortKey(f.Since, "")
		}
		if !f.Until.IsZero() {
			upper = tenantSortKey(f.Until, "~")
		}
		cond += " AND tenant_sort BETWEEN :lo AND :hi"
		values[":lo"], values[":hi"] = s(lower), s(upper)
	}
	var filter *string
	if f.Type != "" {
		filter = aws.String("#type = :type")
		values[":type"] = s(f.Type)
	}
	var page Page[Event]
	for {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(e.Table),
			IndexName:                 aws.String(IndexTenantTime),
			KeyConditionExpression:    aws.String(cond),
			FilterExpression:          filter,
			ExpressionAttributeValues: values,
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(limit - int32(len(page.Items))),
			ExclusiveStartKey:         start,
		}
		if filter != nil {
			in.ExpressionAttributeNames = map[string]string{"#type": "type"}
		}
		out, err := e.DB.Query(ctx, in)
		if err != nil {
			return Page[Event]{}, fmt.Errorf("list events of tenant %s: %w", tenantID, err)
		}
		ids := make([]string, len(out.Items))
		keys := make([]string, 0, 2*len(out.Items))
		for i, k := range out.Items {
			ids[i] = getS(k, "id")
			keys = append(keys, ids[i], ProcessedKey(ids[i]))
		}
		items, err := batchGet(ctx, e.DB, e.Table, "id", keys)
		if err != nil {
			return Page[Event]{}, fmt.Errorf("list events of tenant %s: %w", tenantID, err)
		}
		for _, item := range inOrder(ids, items) {
			ev := eventFromItem(item)
			withMarker(&ev, items[ProcessedKey(ev.ID)])
			page.Items = append(page.Items, ev)
		}
		start = out.LastEvaluatedKey
		if len(start) == 0 || int32(len(page.Items)) >= limit {
			break
		}
	}
	page.Next = encodeCursor(start)
	return page, nil
}

func eventFromItem(item map[string]types.AttributeValue) Event {
	ev := Event{
		ID:            getS(item, "id"),
		TenantID:      getS(item, "tenant_id"),
		ConnectionID:  getS(item, "connection_id"),
		Type:          getS(item, "type"),
		CorrelationID: cmp.Or(getS(item, "correlation_id"), getS(item, "id")),
		Status:        getS(item, "status"),
		ReceivedAt:    fromMillis(getN(item, "received_at")),
		ProcessedAt:   fromMillis(getN(item, "processed_at")),
	}
	if body := getB(item, "body"); body != nil {
		ev.Envelope, ev.Raw, _ = DecodeBody(body)
	} else {
		// Stored before bodies were: the envelope as text and the raw body gzipped apart.
		ev.Envelope, ev.Raw = []byte(getS(item, "envelope")), gunzip(getB(item, "raw"))
	}
	ev.Time, _ = time.Parse(time.RFC3339Nano, getS(item, "time"))
	if exp := getN(item, "expires_at"); exp > 0 {
		ev.ExpiresAt = time.Unix(exp, 0).UTC()
	}
	return ev
}
