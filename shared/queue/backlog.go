package queue

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// AttributeReader reads a queue's attributes.
type AttributeReader interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ AttributeReader = (*sqs.Client)(nil)

// Backlog reports how many messages wait, visible, on a queue.
type Backlog struct {
	SQS AttributeReader
	URL string
}

// Visible returns the queue's approximate number of visible messages.
func (b *Backlog) Visible(ctx context.Context) (int, error) {
	out, err := b.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(b.URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return 0, fmt.Errorf("read the backlog of %s: %w", b.URL, err)
	}
	n, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	if err != nil {
		return 0, fmt.Errorf("read the backlog of %s: %w", b.URL, err)
	}
	return n, nil
}
