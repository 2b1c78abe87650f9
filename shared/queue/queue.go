package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ErrMalformedMessage means a message body is not what this queue carries.
var ErrMalformedMessage = errors.New("malformed queue message")

// Sender is the part of the SQS client that enqueues.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Sender = (*sqs.Client)(nil)

// Events is the events queue.
type Events struct {
	SQS BatchSender
	URL string
}

// EventMessage is the body of an events queue message.
type EventMessage struct {
	EventID string `json:"event_id"`
}

// Enqueue puts the key of a stored event on the queue.
func (q *Events) Enqueue(ctx context.Context, eventID string) error {
	if _, err := q.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(eventBody(eventID))}); err != nil {
		return fmt.Errorf("enqueue event %s: %w", eventID, err)
	}
	return nil
}

// EnqueueAll puts the keys of stored events on the queue, BatchSize to a call. When some
// are not queued the error is a *NotEnqueuedError naming them; the others were queued.
func (q *Events) EnqueueAll(ctx context.Context, eventIDs []string) error {
	if err := sendAll(ctx, q.SQS, q.URL, eventIDs, eventBody); err != nil {
		return fmt.Errorf("enqueue events: %w", err)
	}
	return nil
}

func eventBody(id string) string { return `{"event_id":"` + id + `"}` }

// ParseEventMessage returns the event id an events queue message carries.
func ParseEventMessage(body string) (string, error) {
	var m EventMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return "", fmt.Errorf("%w: not JSON", ErrMalformedMessage)
	}
	if !strings.HasPrefix(m.EventID, "evt_") {
		return "", fmt.Errorf("%w: no event_id", ErrMalformedMessage)
	}
	return m.EventID, nil
}

// Deliveries is the deliveries queue.
type Deliveries struct {
	SQS BatchSender
	URL string
}

// MaxDelay is the longest wait SQS can carry; longer waits are the scheduler's.
const MaxDelay = 900 * time.Second

// Enqueue puts a delivery's key on the queue, visible after delay (at most MaxDelay).
func (q *Deliveries) Enqueue(ctx context.Context, deliveryID string, delay time.Duration) error {
	secs := int32(min(MaxDelay, max(0, delay+time.Second-1)) / time.Second)
	_, err := q.SQS.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(q.URL), MessageBody: aws.String(deliveryBody(deliveryID)), DelaySeconds: secs,
	})
	if err != nil {
		return fmt.Errorf("enqueue delivery %s: %w", deliveryID, err)
	}
	return nil
}

// EnqueueAll puts deliveries' keys on the queue, BatchSize to a call. When some are not
// queued the error is a *NotEnqueuedError naming them; the others were queued.
func (q *Deliveries) EnqueueAll(ctx context.Context, ids []string) error {
	if err := sendAll(ctx, q.SQS, q.URL, ids, deliveryBody); err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	return nil
}

func deliveryBody(id string) string { return `{"delivery_id":"` + id + `"}` }

// DeliveryMessage is the body of a deliveries queue message: a delivery's key alone
// (`{"delivery_id":"dlv_…"}`), or, on the message fan-out sends for a delivery not stored yet,
// the key and, under "new", what storing the delivery needs (nested, so no other queue's
// parser mistakes its event_id for the message's key).
type DeliveryMessage struct {
	DeliveryID string       `json:"delivery_id"`
	New        *NewDelivery `json:"new,omitempty"`
}

// NewDelivery is what creating a delivery's record needs, carried by the message fan-out
// sends for it: deliver creates the record when it first leases it.
type NewDelivery struct {
	TenantID       string    `json:"tenant_id"`
	SubscriptionID string    `json:"subscription_id"`
	EventID        string    `json:"event_id"`
	EventType      string    `json:"event_type"`
	MessageID      string    `json:"message_id"`
	Replay         int       `json:"replay,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// ExpiresAt is when the record expires (its retention); zero keeps it.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// EnqueueNew puts fan-out's messages on the queue, each carrying what creating its
// delivery's record needs, BatchSize to a call. When some are not queued the error is a
// *NotEnqueuedError naming their delivery ids; the others were queued.
func (q *Deliveries) EnqueueNew(ctx context.Context, msgs []DeliveryMessage) error {
	bodies := make(map[string]string, len(msgs))
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("enqueue delivery %s: %w", m.DeliveryID, err)
		}
		bodies[m.DeliveryID] = string(b)
		ids = append(ids, m.DeliveryID)
	}
	if err := sendAll(ctx, q.SQS, q.URL, ids, func(id string) string { return bodies[id] }); err != nil {
		return fmt.Errorf("enqueue new deliveries: %w", err)
	}
	return nil
}

// ParseDelivery returns what a deliveries queue message carries: its delivery id, and
// New when the message is fan-out's for a delivery not stored yet.
func ParseDelivery(body string) (DeliveryMessage, error) {
	var m DeliveryMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return DeliveryMessage{}, fmt.Errorf("%w: not JSON", ErrMalformedMessage)
	}
	if !strings.HasPrefix(m.DeliveryID, "dlv_") {
		return DeliveryMessage{}, fmt.Errorf("%w: no delivery_id", ErrMalformedMessage)
	}
	if nd := m.New; nd != nil {
		if nd.TenantID == "" || nd.SubscriptionID == "" || nd.EventID == "" || nd.MessageID == "" || nd.CreatedAt.IsZero() {
			return DeliveryMessage{}, fmt.Errorf("%w: a new delivery without its tenant, subscription, event, message id or creation time", ErrMalformedMessage)
		}
	}
	return m, nil
}

// ParseDeliveryMessage returns the delivery id a deliveries queue message carries.
func ParseDeliveryMessage(body string) (string, error) {
	m, err := ParseDelivery(body)
	return m.DeliveryID, err
}
