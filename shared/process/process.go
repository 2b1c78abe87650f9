package process

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
)

// EventStore reads events and records that they were processed.
type EventStore interface {
	Get(ctx context.Context, id string) (store.Event, error)
	MarkProcessed(ctx context.Context, id string, at time.Time) error
}

// Step is one side effect of processing an event. Steps must be idempotent: each is keyed
// by a deterministic id, because a step may run again when a later one fails.
type Step interface {
	Name() string
	Apply(ctx context.Context, ev envelope.Envelope) error
}

// Handler processes batches from the events queue.
type Handler struct {
	Events EventStore
	Steps  []Step
	Now    func() time.Time
	Logger *slog.Logger
}

// Handle processes a batch and lists the messages that must be retried.
func (h *Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range batch.Records {
		if err := h.processMessage(ctx, msg); err != nil {
			h.Logger.ErrorContext(ctx, "event not processed", "message_id", msg.MessageId, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) processMessage(ctx context.Context, msg events.SQSMessage) error {
	id, err := queue.ParseEventMessage(msg.Body)
	if err != nil {
		return err
	}
	ev, err := h.Events.Get(ctx, id)
	if err != nil {
		return err
	}
	if ev.Status == store.StatusProcessed {
		h.Logger.InfoContext(ctx, "event already processed", "event_id", id)
		return nil
	}
	var env envelope.Envelope
	if err := json.Unmarshal(ev.Envelope, &env); err != nil {
		return fmt.Errorf("event %s has a malformed envelope: %w", id, err)
	}
	for _, step := range h.Steps {
		if err := step.Apply(ctx, env); err != nil {
			return fmt.Errorf("event %s, step %s: %w", id, step.Name(), err)
		}
	}
	if err := h.Events.MarkProcessed(ctx, id, h.Now().UTC()); err != nil {
		return err
	}
	h.Logger.InfoContext(ctx, "event processed", "event_id", id, "tenant_id", ev.TenantID, "type", ev.Type)
	return nil
}
