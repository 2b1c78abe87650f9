package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
	SQS Sender
	URL string
}

// EventMessage is the body of an events queue message.
type EventMessage struct {
	EventID string `json:"event_id"`
}

// Enqueue puts the key of a stored event on the queue.
func (q *Events) Enqueue(ctx context.Context, eventID string) error {
	body := `{"event_id":"` + eventID + `"}`
	if _, err := q.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body)}); err != nil {
		return fmt.Errorf("enqueue event %s: %w", eventID, err)
	}
	return nil
}

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
