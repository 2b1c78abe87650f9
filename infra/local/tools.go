package local

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/topology"
)

// InvokeOnce builds f, runs it under one RIE process with the stack's environment, invokes
// it once with payload and stops it.
func InvokeOnce(ctx context.Context, root string, f topology.Function, st State, payload []byte, logs io.Writer) ([]byte, error) {
	rie, err := emulator.Tool(root, "aws-lambda-rie", "run `make tools`")
	if err != nil {
		return nil, err
	}
	bins, err := Build(ctx, root, filepath.Join(root, ".dev", "bin"), []string{f.Name})
	if err != nil {
		return nil, err
	}
	env, err := FunctionEnv(f, st, nil)
	if err != nil {
		return nil, err
	}
	pool, err := StartPool(ctx, PoolSpec{Name: f.Name, RIE: rie, Bootstrap: bins[f.Name], Env: env, Size: 1, Logs: logs})
	if err != nil {
		return nil, err
	}
	defer pool.Stop()
	return pool.Invoke(ctx, payload)
}

// PeekQueue returns every visible message of a queue and makes each visible again at once,
// so looking does not consume. It asks for system attributes both ways (local-aws-sqs
// answers only the legacy field).
func PeekQueue(ctx context.Context, q *sqs.Client, url string) ([]sqstypes.Message, error) {
	var all []sqstypes.Message
	seen := map[string]bool{}
	for range 100 {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 30,
			//lint:ignore SA1019 local-aws-sqs returns ApproximateReceiveCount only through the legacy AttributeNames.
			AttributeNames:              []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return nil, fmt.Errorf("receive from %s: %w", url, err)
		}
		fresh := 0
		for _, m := range out.Messages {
			if !seen[aws.ToString(m.MessageId)] {
				seen[aws.ToString(m.MessageId)] = true
				all = append(all, m)
				fresh++
			}
		}
		if fresh == 0 {
			break
		}
	}
	for _, m := range all {
		_, _ = q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
	}
	return all, nil
}
