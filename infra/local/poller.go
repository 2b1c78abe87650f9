package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueClient is the part of SQS a poller uses.
type QueueClient interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Poller plays one SQS event source mapping: it long-polls a queue, hands batches to the
// function, and deletes what the function did not report as failed. Failed messages come
// back after their visibility timeout; the queue's redrive policy moves them to the DLQ.
type Poller struct {
	Function  string
	Queue     QueueClient
	QueueURL  string
	QueueARN  string
	BatchSize int
	Invoker   Invoker
	Logs      io.Writer
	// Wait is the long-polling wait of each receive.
	Wait time.Duration
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := p.pollOnce(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(p.Logs, "[poller %s] %v\n", p.Function, err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// receive asks for up to n messages, waiting up to wait for the first.
func (p *Poller) receive(ctx context.Context, n int, wait time.Duration) ([]sqstypes.Message, error) {
	out, err := p.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(p.QueueURL),
		MaxNumberOfMessages: int32(n),
		WaitTimeSeconds:     int32(wait / time.Second),
		//lint:ignore SA1019 local-aws-sqs returns ApproximateReceiveCount only through the legacy AttributeNames.
		AttributeNames:              []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	return out.Messages, nil
}

// pollOnce long-polls for one message, then takes what else is visible up to the batch
// size. (The emulator's long poll waits until it has as many messages as asked for, so
// asking for a whole batch at once would hold a lone message for the full wait.)
func (p *Poller) pollOnce(ctx context.Context) error {
	msgs, err := p.receive(ctx, 1, p.Wait)
	if err != nil || len(msgs) == 0 {
		return err
	}
	if size := min(p.BatchSize, 10); size > 1 {
		more, err := p.receive(ctx, size-1, 0)
		if err != nil {
			return err
		}
		msgs = append(msgs, more...)
	}
	out := struct{ Messages []sqstypes.Message }{msgs}
	batch := events.SQSEvent{Records: make([]events.SQSMessage, len(out.Messages))}
	for i, m := range out.Messages {
		batch.Records[i] = record(m, p.QueueARN)
	}
	payload, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	result, err := p.Invoker.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	failed, err := failures(result)
	if err != nil {
		fmt.Fprintf(p.Logs, "[poller %s] the whole batch of %d failed: %v\n", p.Function, len(out.Messages), err)
		return nil
	}
	var done []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if !failed[aws.ToString(m.MessageId)] {
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(done) == 0 {
		return nil
	}
	if _, err := p.Queue.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: done}); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

func record(m sqstypes.Message, arn string) events.SQSMessage {
	attrs := map[string]string{}
	for k, v := range m.Attributes {
		attrs[k] = v
	}
	msgAttrs := map[string]events.SQSMessageAttribute{}
	for k, v := range m.MessageAttributes {
		msgAttrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: aws.ToString(v.DataType)}
	}
	return events.SQSMessage{
		MessageId:         aws.ToString(m.MessageId),
		ReceiptHandle:     aws.ToString(m.ReceiptHandle),
		Body:              aws.ToString(m.Body),
		Md5OfBody:         aws.ToString(m.MD5OfBody),
		Attributes:        attrs,
		MessageAttributes: msgAttrs,
		EventSource:       "aws:sqs",
		EventSourceARN:    arn,
		AWSRegion:         "us-east-1",
	}
}

// failures reads a worker's answer: the ids it reported failed, or an error when the
// invocation itself failed (every message is then retried).
func failures(out []byte) (map[string]bool, error) {
	var probe struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(out, &probe) == nil && probe.ErrorType != "" {
		return nil, fmt.Errorf("%s: %s", probe.ErrorType, probe.ErrorMessage)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("unreadable answer: %w", err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}
