package local

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// createTables creates the store's tables (when missing) with their TTL, named prefix-name.
func createTables(ctx context.Context, db *dynamodb.Client, prefix string) (map[string]string, error) {
	names := map[string]string{}
	for _, t := range store.Tables() {
		name := prefix + "-" + t.Name
		names[t.Name] = name
		_, err := db.CreateTable(ctx, t.Create(name))
		var inUse *ddbtypes.ResourceInUseException
		if errors.As(err, &inUse) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create table %s: %w", name, err)
		}
		if t.TTLAttribute != "" {
			if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
				TableName:               aws.String(name),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)},
			}); err != nil {
				return nil, fmt.Errorf("enable TTL on %s: %w", name, err)
			}
		}
	}
	return names, nil
}

// queueSet is one queue with its DLQ.
type queueSet struct {
	URL, ARN, DLQURL string
}

// createQueues creates each queue of the topology after its DLQ, with a redrive policy of
// its maxReceiveCount and the visibility the topology (or the override) says.
func createQueues(ctx context.Context, q *sqs.Client, spec topology.Spec, prefix string, visibility int) (map[string]queueSet, error) {
	out := map[string]queueSet{}
	for _, queue := range spec.Queues {
		retention := strconv.Itoa(int(queue.Retention.Seconds()))
		dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName:  aws.String(prefix + "-" + queue.DLQ()),
			Attributes: map[string]string{"MessageRetentionPeriod": retention},
		})
		if err != nil {
			return nil, fmt.Errorf("create queue %s: %w", queue.DLQ(), err)
		}
		dlqARN, err := queueARN(ctx, q, *dlq.QueueUrl)
		if err != nil {
			return nil, err
		}
		vis := visibility
		if vis <= 0 {
			vis = int(spec.Visibility(queue.Name).Seconds())
		}
		main, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName: aws.String(prefix + "-" + queue.Name),
			Attributes: map[string]string{
				"VisibilityTimeout":      strconv.Itoa(vis),
				"MessageRetentionPeriod": retention,
				"RedrivePolicy":          fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlqARN, queue.MaxReceiveCount),
			},
		})
		if err != nil {
			return nil, fmt.Errorf("create queue %s: %w", queue.Name, err)
		}
		arn, err := queueARN(ctx, q, *main.QueueUrl)
		if err != nil {
			return nil, err
		}
		out[queue.Name] = queueSet{URL: *main.QueueUrl, ARN: arn, DLQURL: *dlq.QueueUrl}
	}
	return out, nil
}

func queueARN(ctx context.Context, q *sqs.Client, url string) (string, error) {
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("queue attributes of %s: %w", url, err)
	}
	return attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// DevKeyAlias names the KMS key the local stack seals secrets with.
const DevKeyAlias = "alias/wedsync-dev"

// devKey returns the id of the dev KMS key, creating it (and its alias) when missing.
func devKey(ctx context.Context, k *kms.Client) (string, error) {
	if out, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(DevKeyAlias)}); err == nil {
		return aws.ToString(out.KeyMetadata.KeyId), nil
	}
	out, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("WedSync local stack secrets")})
	if err != nil {
		return "", fmt.Errorf("create the dev KMS key: %w", err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(DevKeyAlias), TargetKeyId: aws.String(id)}); err != nil {
		return "", fmt.Errorf("alias the dev KMS key: %w", err)
	}
	return id, nil
}
