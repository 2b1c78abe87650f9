package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/commands"
	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/jobs"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
)

// ErrUnknownCommand means a message names an event act does not run.
var ErrUnknownCommand = errors.New("not a command act runs")

// ActionStore is the table of action records.
type ActionStore interface {
	Lease(ctx context.Context, id string, now, until, expires time.Time) (store.Action, error)
	Finish(ctx context.Context, id, status, outcomeID string, now time.Time) error
	Release(ctx context.Context, id string) error
}

var _ ActionStore = (*store.Actions)(nil)

// DefaultLease is how long a run holds its command: past the function's timeout, within
// the queue's visibility, so a crashed run's command runs again when its message returns.
const DefaultLease = 3 * time.Minute

// ActionRetention is how long action records are kept.
const ActionRetention = 14 * 24 * time.Hour

// Handler runs batches of the commands queue.
type Handler struct {
	Events      EventStore
	Queue       Enqueuer
	Actions     ActionStore
	Connections Connections
	// Runners run each command type.
	Runners map[string]Runner
	// Jobs runs the steps of background jobs queued beside the commands; nil refuses them.
	Jobs *jobs.Runner
	// MaxReceives is the commands queue's maxReceiveCount: a job step that fails on its last
	// receive ends its job failed instead of leaving it running with the step in the DLQ.
	MaxReceives int
	Now         func() time.Time
	Lease       time.Duration
	Retention   time.Duration
	Logger      *slog.Logger
}

// Handle runs a batch and lists the messages that must come back.
func (h *Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range batch.Records {
		err := h.handleMessage(ctx, msg)
		switch {
		case errors.Is(err, ErrUnknownCommand), errors.Is(err, queue.ErrMalformedMessage):
			h.Logger.WarnContext(ctx, "command refused", "message_id", msg.MessageId, "reason", err.Error())
		case errors.Is(err, store.ErrActionBusy):
			h.Logger.InfoContext(ctx, "command running elsewhere; message kept", "message_id", msg.MessageId)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		case err != nil:
			h.Logger.ErrorContext(ctx, "command not run", "message_id", msg.MessageId, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}

// lastReceive reports whether msg is on its last receive before the dead-letter queue.
func (h *Handler) lastReceive(msg events.SQSMessage) bool {
	n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	return h.MaxReceives > 0 && err == nil && n >= h.MaxReceives
}

func (h *Handler) handleMessage(ctx context.Context, msg events.SQSMessage) error {
	if step, err := queue.ParseJobMessage(msg.Body); err == nil {
		if h.Jobs == nil {
			return fmt.Errorf("%w: job %s", ErrUnknownCommand, step.JobID)
		}
		err := h.Jobs.Step(ctx, step)
		if err == nil || !h.lastReceive(msg) {
			return err
		}
		reason := fmt.Sprintf("step %d failed on each of its %d tries (the last: %v); start the job again", step.Step+1, h.MaxReceives, err)
		if gerr := h.Jobs.GiveUp(ctx, step, reason); gerr != nil {
			return errors.Join(err, gerr)
		}
		return nil
	}
	id, err := queue.ParseEventMessage(msg.Body)
	if err != nil {
		return err
	}
	ev, err := h.Events.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: event %s is not stored", ErrUnknownCommand, id)
	}
	if err != nil {
		return err
	}
	var cmd envelope.Envelope
	if err := json.Unmarshal(ev.Envelope, &cmd); err != nil {
		return fmt.Errorf("%w: event %s has a malformed envelope", ErrUnknownCommand, id)
	}
	kind, ok := commands.ProviderOf(cmd)
	runner := h.Runners[cmd.Type]
	if !ok || runner == nil {
		return fmt.Errorf("%w: event %s is a %s", ErrUnknownCommand, id, cmd.Type)
	}
	conn, err := h.Connections.For(ctx, cmd.TenantID, kind)
	if errors.Is(err, ErrNoConnection) {
		h.Logger.InfoContext(ctx, "command skipped: no connection", "event_id", id, "tenant_id", cmd.TenantID, "type", cmd.Type, "provider", kind)
		return nil
	}
	if err != nil {
		return err
	}
	now := h.Now()
	action, err := h.Actions.Lease(ctx, id, now, now.Add(h.lease()), now.Add(ActionRetention))
	if err != nil {
		return err
	}
	if action.Status != store.ActionRunning {
		h.Logger.InfoContext(ctx, "command already run", "event_id", id, "outcome_id", action.OutcomeID)
		return nil
	}
	var outcome Outcome
	if runner.AtMostOnce() && action.Attempts > 1 {
		outcome = failed("outcome unknown: an earlier run stopped before recording what "+kind+" did; not sent again", nil)
	} else if outcome, err = runner.Run(ctx, Command{Event: cmd, Conn: conn}); err != nil {
		// A call that cannot be repeated safely keeps its lease unless it never left (rate
		// limited): when the lease expires, the next run ends the command as unknown.
		if !runner.AtMostOnce() || errors.Is(err, connectors.ErrRateLimited) {
			if rerr := h.Actions.Release(ctx, id); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return fmt.Errorf("command %s: %w", id, err)
	}
	return h.record(ctx, cmd, conn, outcome)
}

// record stores and queues the command's outcome event, then closes its action.
func (h *Handler) record(ctx context.Context, cmd envelope.Envelope, conn *Connection, o Outcome) error {
	now := h.Now().UTC()
	o = redact(o, conn)
	out, err := outcomeEnvelope(cmd, conn, o, now)
	if err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	stored := store.Event{ID: out.ID, TenantID: out.TenantID, ConnectionID: out.ConnectionID, Type: out.Type,
		CorrelationID: out.CorrelationID, Time: out.Time, Envelope: b, ReceivedAt: now}
	if h.Retention > 0 {
		stored.ExpiresAt = now.Add(h.Retention)
	}
	if _, err := keepEvent(ctx, h.Events, h.Queue, stored); err != nil {
		return err
	}
	if err := h.Actions.Finish(ctx, cmd.ID, store.ActionDone, out.ID, now); err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.Failed {
		level = slog.LevelWarn
	}
	h.Logger.Log(ctx, level, "command ran", "event_id", cmd.ID, "tenant_id", cmd.TenantID, "type", cmd.Type,
		"outcome", out.Type, "outcome_id", out.ID, "reason", o.Reason)
	return nil
}

func (h *Handler) lease() time.Duration {
	if h.Lease > 0 {
		return h.Lease
	}
	return DefaultLease
}

// DefaultRunners are the runners of every command act runs.
func DefaultRunners(conns Connections, events EventStore, q Enqueuer, now func() time.Time, retention time.Duration) map[string]Runner {
	return map[string]Runner{
		envelope.PaymentRefund:    Refund{},
		envelope.EmailSend:        Email{Connections: conns},
		envelope.IntegrationSync:  &Sync{Events: events, Queue: q, Now: now, Retention: retention},
		envelope.NotificationSend: Notify{},
	}
}
