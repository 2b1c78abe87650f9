package process

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
)

// concurrency bounds the events of one batch processed at once: they are independent, and
// one at a time leaves a batch waiting on every AWS call of every event in turn.
const concurrency = 10

// EventStore reads events, records that they were processed, and enters into the sweep
// index those that may reach the dead-letter queue.
type EventStore interface {
	GetEventually(ctx context.Context, id string) (store.Event, error)
	MarkProcessed(ctx context.Context, id string, at, expires time.Time) error
	EnterSweep(ctx context.Context, id string, at time.Time) error
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
	// MaxReceives is the events queue's maxReceiveCount. An event received for the
	// MaxReceives-1th time or later enters the sweep index before it is processed, so the
	// scheduler queues it again should this run fail (or crash) and its message reach the
	// dead-letter queue. 0 disables it.
	MaxReceives int
}

// Handle processes a batch and lists the messages that must be retried.
func (h *Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		mu   sync.Mutex
		resp events.SQSEventResponse
		wg   sync.WaitGroup
		sem  = make(chan struct{}, concurrency)
	)
	fail := func(err error, ids ...string) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			h.Logger.ErrorContext(ctx, "event not processed", "message_id", id, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	// Copies of one event in a batch are processed once, together.
	var order []string
	messages := map[string][]string{}
	late := map[string]bool{}
	for _, msg := range batch.Records {
		id, err := queue.ParseEventMessage(msg.Body)
		if err != nil {
			fail(err, msg.MessageId)
			continue
		}
		if _, seen := messages[id]; !seen {
			order = append(order, id)
		}
		messages[id] = append(messages[id], msg.MessageId)
		late[id] = late[id] || h.lateReceive(msg)
	}
	for _, id := range order {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := h.processEvent(ctx, id, late[id]); err != nil {
				fail(err, messages[id]...)
			}
		})
	}
	wg.Wait()
	return resp, nil
}

// lateReceive reports whether msg is on one of its last receives before the dead-letter
// queue.
func (h *Handler) lateReceive(msg events.SQSMessage) bool {
	n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	return h.MaxReceives > 0 && err == nil && n >= h.MaxReceives-1
}

// processEvent runs the event's steps and marks it processed. It does not read whether the
// event was processed already (that is its marker, a second read on every event): a
// redelivered message runs the steps again, which are idempotent. An event stored
// processed says so on the item read anyway, and is skipped.
func (h *Handler) processEvent(ctx context.Context, id string, late bool) error {
	if late {
		if err := h.Events.EnterSweep(ctx, id, h.Now().UTC()); err != nil {
			h.Logger.WarnContext(ctx, "late receive not entered in the sweep index", "event_id", id, "error", err.Error())
		}
	}
	ev, err := h.Events.GetEventually(ctx, id)
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
	if err := h.Events.MarkProcessed(ctx, id, h.Now().UTC(), ev.ExpiresAt); err != nil {
		return err
	}
	h.Logger.InfoContext(ctx, "event processed", "event_id", id, "tenant_id", ev.TenantID, "type", ev.Type)
	return nil
}
