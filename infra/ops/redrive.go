package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ErrNotMoved means some selected messages could not be sent back; they stay in the DLQ.
var ErrNotMoved = errors.New("not every selected message was sent back")

// redriveResult is what a redrive of one DLQ did (or, in a dry run, would do).
type redriveResult struct {
	Queue string `json:"queue"`
	// Mode is move-task (the whole queue, by SQS) or selective (receive, send, delete).
	Mode   string `json:"mode"`
	Filter string `json:"filter,omitempty"`
	Moved  int    `json:"moved"`
	Kept   int    `json:"kept"`
	// ToMove and Status are the move task's.
	ToMove     int    `json:"to_move,omitempty"`
	Status     string `json:"status,omitempty"`
	TaskHandle string `json:"task_handle,omitempty"`
	DryRun     bool   `json:"dry_run"`
}

func dlqRedrive() verb {
	return verb{name: "dlq redrive", summary: "Move dead-letter messages back to their queue: all of them with SQS's StartMessageMoveTask\n" +
		"(progress to the end; --cancel stops a running one), or only those of --tenant, --event, --subscription or --type,\n" +
		"by receiving, sending back and then deleting each. Nothing is lost if it is interrupted: a message is deleted from the\n" +
		"DLQ only once it is back on its queue, and the ones it held come back when their visibility ends (run it again).",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			q := fs.String("queue", "all", "events, deliveries, commands or all")
			var f filter
			fs.StringVar(&f.tenant, "tenant", "", "only the messages of this tenant")
			fs.StringVar(&f.event, "event", "", "only the messages of this event id")
			fs.StringVar(&f.subscription, "subscription", "", "only the deliveries of this subscription")
			fs.StringVar(&f.typ, "type", "", "only the messages of this event type (payment.received, or payment.*)")
			cancel := fs.Bool("cancel", false, "cancel the running move task instead")
			visibility := fs.Duration("visibility", 5*time.Minute, "how long a selective redrive holds each message it reads")
			rate := fs.Int("rate", 0, "a move task's messages per second (1–500); SQS's own when 0")
			return func(e *runEnv) error {
				names, err := queueNames(*q)
				if err != nil {
					return err
				}
				if *cancel && !f.empty() {
					return fmt.Errorf("%w: --cancel stops a move task; it takes no filter", ErrUsage)
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				var results []redriveResult
				var failed error
				for _, name := range names {
					var r redriveResult
					switch {
					case *cancel:
						r, err = cancelMove(e, t, name)
					case f.empty():
						r, err = moveAll(e, t, name, int32(*rate))
					default:
						r, err = redriveSome(e, t, name, f, *visibility)
					}
					results = append(results, r)
					if err != nil {
						failed = err
						break
					}
				}
				if e.json {
					if err := writeJSON(e.out, map[string]any{"redrives": results}); err != nil {
						return err
					}
				}
				return failed
			}
		}}
}

// moveAll starts SQS's move task from a DLQ back to its queue and follows it to its end.
func moveAll(e *runEnv, t *Target, name string, rate int32) (redriveResult, error) {
	r := redriveResult{Queue: name, Mode: "move-task", DryRun: e.dryRun}
	dlqARN, err := queueAttribute(e.ctx, t.SQS, t.DLQs[name], sqstypes.QueueAttributeNameQueueArn)
	if err != nil {
		return r, err
	}
	srcARN, err := queueAttribute(e.ctx, t.SQS, t.Queues[name], sqstypes.QueueAttributeNameQueueArn)
	if err != nil {
		return r, err
	}
	visible, _, err := depth(e.ctx, t.SQS, t.DLQs[name])
	if err != nil {
		return r, err
	}
	if r.ToMove = visible; e.dryRun || visible == 0 {
		r.Status = "NOTHING_TO_MOVE"
		if e.dryRun {
			r.Status = "DRY_RUN"
			e.say("dry run: would move the %d message(s) of the %s DLQ back to %s (StartMessageMoveTask)", visible, name, name)
		} else {
			e.say("%s DLQ: empty, nothing to move", name)
		}
		return r, nil
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), DestinationArn: aws.String(srcARN)}
	if rate > 0 {
		in.MaxNumberOfMessagesPerSecond = aws.Int32(rate)
	}
	started, err := t.SQS.StartMessageMoveTask(e.ctx, in)
	if err != nil {
		return r, fmt.Errorf("start moving the %s DLQ: %w", name, err)
	}
	r.TaskHandle = aws.ToString(started.TaskHandle)
	p := newProgress(e.progressWriter(), name+" DLQ → "+name, visible)
	ticker := time.NewTicker(e.tick)
	defer ticker.Stop()
	for {
		task, err := findTask(e, t, dlqARN, r.TaskHandle)
		if err != nil {
			return r, err
		}
		r.Moved, r.Status = int(task.ApproximateNumberOfMessagesMoved), aws.ToString(task.Status)
		if total := int(aws.ToInt64(task.ApproximateNumberOfMessagesToMove)); total > 0 {
			r.ToMove, p.total = total, total
		}
		if r.Status != "RUNNING" && r.Status != "CANCELLING" {
			p.Done(r.Moved, r.Status+" "+aws.ToString(task.FailureReason))
			if r.Status != "COMPLETED" {
				return r, fmt.Errorf("the move task of the %s DLQ ended %s: %s", name, r.Status, aws.ToString(task.FailureReason))
			}
			return r, nil
		}
		p.Update(r.Moved, "moved")
		select {
		case <-e.ctx.Done():
			fmt.Fprintf(e.errw, "\nthe move task goes on in SQS; stop it with: go run ./infra/ops dlq redrive --stage %s --queue %s --cancel\n", t.Stage, name)
			return r, e.ctx.Err()
		case <-ticker.C:
		}
	}
}

// findTask is the DLQ's move task with handle, else its newest (SQS lists a task's handle
// only while it runs, newest first, and a DLQ runs one task at a time); with no handle,
// the running one, if any.
func findTask(e *runEnv, t *Target, dlqARN, handle string) (sqstypes.ListMessageMoveTasksResultEntry, error) {
	out, err := t.SQS.ListMessageMoveTasks(e.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN), MaxResults: aws.Int32(10)})
	if err != nil {
		return sqstypes.ListMessageMoveTasksResultEntry{}, fmt.Errorf("read the move tasks of %s: %w", dlqARN, err)
	}
	for _, task := range out.Results {
		if handle == "" && aws.ToString(task.Status) == "RUNNING" || handle != "" && aws.ToString(task.TaskHandle) == handle {
			return task, nil
		}
	}
	if handle == "" {
		return sqstypes.ListMessageMoveTasksResultEntry{}, nil
	}
	if len(out.Results) == 0 {
		return sqstypes.ListMessageMoveTasksResultEntry{}, fmt.Errorf("the move task of %s is not listed", dlqARN)
	}
	return out.Results[0], nil
}

// cancelMove cancels the DLQ's running move task.
func cancelMove(e *runEnv, t *Target, name string) (redriveResult, error) {
	r := redriveResult{Queue: name, Mode: "move-task", DryRun: e.dryRun}
	dlqARN, err := queueAttribute(e.ctx, t.SQS, t.DLQs[name], sqstypes.QueueAttributeNameQueueArn)
	if err != nil {
		return r, err
	}
	task, err := findTask(e, t, dlqARN, "")
	if err != nil {
		return r, err
	}
	if task.TaskHandle == nil {
		r.Status = "NONE_RUNNING"
		e.say("%s DLQ: no move task is running", name)
		return r, nil
	}
	r.TaskHandle, r.Moved, r.Status = aws.ToString(task.TaskHandle), int(task.ApproximateNumberOfMessagesMoved), "RUNNING"
	if e.dryRun {
		e.say("dry run: would cancel the %s DLQ's move task (%d moved so far)", name, r.Moved)
		return r, nil
	}
	out, err := t.SQS.CancelMessageMoveTask(e.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	if err != nil {
		return r, fmt.Errorf("cancel the move task of the %s DLQ: %w", name, err)
	}
	r.Moved, r.Status = int(out.ApproximateNumberOfMessagesMoved), "CANCELLING"
	e.say("%s DLQ: move task cancelled after %d message(s)", name, r.Moved)
	return r, nil
}

// redriveSome moves back the DLQ's messages that f selects: each batch received is sent
// to the queue, and only what was sent is deleted from the DLQ; the others are held
// (invisible) until the whole DLQ is read, then given back. Messages held by an earlier run
// that was interrupted come back when their visibility ends; the run waits for them (up
// to its own visibility) so that it reads every message.
func redriveSome(e *runEnv, t *Target, name string, f filter, visibility time.Duration) (redriveResult, error) {
	r := redriveResult{Queue: name, Mode: "selective", Filter: f.String(), DryRun: e.dryRun}
	dlq, dest := t.DLQs[name], t.Queues[name]
	visible, _, err := depth(e.ctx, t.SQS, dlq)
	if err != nil {
		return r, err
	}
	held := map[string]*string{}
	defer func() {
		if err := release(e.ctx, t.SQS, dlq, held); err != nil {
			fmt.Fprintln(e.errw, "ops:", err)
		}
	}()
	p := newProgress(e.progressWriter(), name+" DLQ ("+r.Filter+")", visible)
	idle := 0
	for {
		msgs, err := receive(e.ctx, t.SQS, dlq, visibility, 1)
		if err != nil {
			return r, err
		}
		if !slices.ContainsFunc(msgs, func(m sqstypes.Message) bool { _, seen := held[aws.ToString(m.MessageId)]; return !seen }) {
			// Two polls in a row with nothing new (empty, or only messages this run holds
			// whose visibility ended), and no message in flight but the ones this run holds:
			// every message was read. Messages in flight beyond those are another reader's,
			// such as an interrupted run's: they come back when their visibility ends, and
			// this run waits for them, up to its own visibility (a poll waits a second).
			for _, m := range msgs {
				held[aws.ToString(m.MessageId)] = m.ReceiptHandle
			}
			if idle++; idle < 2 {
				continue
			}
			_, inFlight, err := depth(e.ctx, t.SQS, dlq)
			if err != nil {
				return r, err
			}
			if inFlight <= len(held) {
				break
			}
			if idle > int(visibility/time.Second)+5 {
				fmt.Fprintf(e.errw, "ops: %d message(s) of the %s DLQ are held by another reader; run this again once they are back\n", inFlight-len(held), name)
				break
			}
			continue
		}
		idle = 0
		infos, err := describe(e.ctx, t, name, msgs)
		if err != nil {
			return r, err
		}
		var move []sqstypes.Message
		for i, m := range msgs {
			id := aws.ToString(m.MessageId)
			switch _, seen := held[id]; {
			case f.match(infos[i]) && !e.dryRun:
				move = append(move, m)
			case seen:
				held[id] = m.ReceiptHandle
			default:
				held[id] = m.ReceiptHandle
				if f.match(infos[i]) {
					r.Moved++
				} else {
					r.Kept++
				}
			}
		}
		moved, err := sendBack(e, t, dlq, dest, move, held)
		r.Moved += moved
		p.Update(r.Moved+r.Kept, fmt.Sprintf("read; %d moved, %d kept", r.Moved, r.Kept))
		if err != nil {
			return r, err
		}
	}
	verb := "moved back"
	if e.dryRun {
		verb = "would move back"
	}
	p.Done(r.Moved+r.Kept, fmt.Sprintf("read; %s %d, kept %d in the DLQ", verb, r.Moved, r.Kept))
	return r, nil
}

// sendBack sends msgs to dest, then deletes from the DLQ those that were sent; a message
// that was not sent is held, and stays in the DLQ.
func sendBack(e *runEnv, t *Target, dlq, dest string, msgs []sqstypes.Message, held map[string]*string) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	entries := make([]sqstypes.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.Body, MessageAttributes: m.MessageAttributes}
	}
	out, err := t.SQS.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(dest), Entries: entries})
	if err != nil {
		for _, m := range msgs {
			held[aws.ToString(m.MessageId)] = m.ReceiptHandle
		}
		return 0, fmt.Errorf("%w: send back to %s: %w", ErrNotMoved, dest, err)
	}
	sent := map[string]bool{}
	for _, ok := range out.Successful {
		sent[aws.ToString(ok.Id)] = true
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if sent[strconv.Itoa(i)] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		} else {
			held[aws.ToString(m.MessageId)] = m.ReceiptHandle
		}
	}
	if len(del) == 0 {
		return 0, fmt.Errorf("%w: %d of %d refused by %s", ErrNotMoved, len(out.Failed), len(msgs), dest)
	}
	if _, err := t.SQS.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(dlq), Entries: del}); err != nil {
		return 0, fmt.Errorf("delete %d message(s) sent back from the DLQ (they will be sent again by the next run; consumers are idempotent): %w", len(del), err)
	}
	if len(out.Failed) > 0 {
		return len(del), fmt.Errorf("%w: %d of %d refused by %s", ErrNotMoved, len(out.Failed), len(msgs), dest)
	}
	return len(del), nil
}
