package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/topology"
)

// queueNames are the topology's queues, or the one named (all for "all").
func queueNames(name string) ([]string, error) {
	var all []string
	for _, q := range topology.Default().Queues {
		all = append(all, q.Name)
	}
	if name == "all" {
		return all, nil
	}
	if !slices.Contains(all, name) {
		return nil, fmt.Errorf("%w: --queue %q is none of %v or all", ErrUsage, name, all)
	}
	return []string{name}, nil
}

// depth is a queue's visible and in-flight message counts.
func depth(ctx context.Context, q *sqs.Client, url string) (visible, inFlight int, err error) {
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, 0, fmt.Errorf("read the depth of %s: %w", url, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight, nil
}

// queueAttribute reads one attribute of a queue.
func queueAttribute(ctx context.Context, q *sqs.Client, url string, name sqstypes.QueueAttributeName) (string, error) {
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{name}})
	if err != nil {
		return "", fmt.Errorf("read %s of %s: %w", name, url, err)
	}
	return out.Attributes[string(name)], nil
}

// receive takes up to 10 messages, invisible for visibility, with their attributes.
func receive(ctx context.Context, q *sqs.Client, url string, visibility time.Duration, wait int32) ([]sqstypes.Message, error) {
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: int32(max(1, visibility/time.Second)), WaitTimeSeconds: wait,
		//lint:ignore SA1019 local-aws-sqs returns system attributes only through the legacy AttributeNames.
		AttributeNames:              []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", url, err)
	}
	return out.Messages, nil
}

// release makes held messages visible again at once, 10 to a call, on a context of its own
// so that an interrupted run still gives back what it holds.
func release(ctx context.Context, q *sqs.Client, url string, handles map[string]*string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var entries []sqstypes.ChangeMessageVisibilityBatchRequestEntry
	for _, h := range handles {
		entries = append(entries, sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(len(entries))), ReceiptHandle: h})
	}
	for chunk := range slices.Chunk(entries, 10) {
		if _, err := q.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: chunk}); err != nil {
			return fmt.Errorf("give back %d message(s) of %s (they return by themselves when their visibility ends): %w", len(handles), url, err)
		}
	}
	return nil
}
