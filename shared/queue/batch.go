package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// BatchSize is the most messages one SendMessageBatch carries.
const BatchSize = 10

// batchConcurrency bounds the SendMessageBatch calls one EnqueueAll makes at once.
const batchConcurrency = 5

// ErrRefused means SQS answered a batch but refused some of its messages.
var ErrRefused = errors.New("queue refused messages")

// BatchSender is the part of the SQS client that enqueues, one message or ten at a time.
type BatchSender interface {
	Sender
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ BatchSender = (*sqs.Client)(nil)

// NotEnqueuedError lists the keys an EnqueueAll could not put on the queue, and why; every
// other key was queued.
type NotEnqueuedError struct {
	IDs []string
	Err error
}

// Error says how many keys were not queued and the first reason.
func (e *NotEnqueuedError) Error() string {
	return fmt.Sprintf("%d not queued: %v", len(e.IDs), e.Err)
}

// Unwrap returns the reasons.
func (e *NotEnqueuedError) Unwrap() error { return e.Err }

// sendAll sends one message per key, BatchSize to a call and a few calls at once. Every
// batch is tried even when another fails; the error is a *NotEnqueuedError.
func sendAll(ctx context.Context, client BatchSender, url string, ids []string, body func(string) string) error {
	var (
		mu     sync.Mutex
		failed []string
		errs   []error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, batchConcurrency)
	)
	for chunk := range slices.Chunk(ids, BatchSize) {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			refused, err := sendBatch(ctx, client, url, chunk, body)
			if err != nil {
				mu.Lock()
				failed, errs = append(failed, refused...), append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failed) == 0 {
		return nil
	}
	return &NotEnqueuedError{IDs: failed, Err: errors.Join(errs...)}
}

// sendBatch sends one SendMessageBatch and returns the keys it did not queue.
func sendBatch(ctx context.Context, client BatchSender, url string, chunk []string, body func(string) string) ([]string, error) {
	entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
	for i, id := range chunk {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body(id))}
	}
	out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		return chunk, fmt.Errorf("send %d messages: %w", len(chunk), err)
	}
	if len(out.Failed) == 0 {
		return nil, nil
	}
	refused := make([]string, 0, len(out.Failed))
	codes := make([]string, 0, len(out.Failed))
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < 0 || i >= len(chunk) {
			return chunk, fmt.Errorf("%w: an answer for unknown entry %q", ErrRefused, aws.ToString(f.Id))
		}
		refused = append(refused, chunk[i])
		codes = append(codes, aws.ToString(f.Code))
	}
	return refused, fmt.Errorf("%w: %d of %d (%s)", ErrRefused, len(refused), len(chunk), strings.Join(codes, ", "))
}
