package awsenv_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/awsenv"
	wsconfig "github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/topology"
)

// TestGrantsRefuseWhatTheTopologyDoesNotGrant: in the local stack a function's call reaches
// AWS only when the topology grants its action on its resource, as its role does in AWS:
// batch reads, transactions' items and SQS's batch send take the actions IAM asks for.
func TestGrantsRefuseWhatTheTopologyDoesNotGrant(t *testing.T) {
	reached := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	g := &awsenv.Grants{Function: "fn",
		Tables:  map[string]topology.Access{"events": topology.Read, "subs": topology.ReadWrite, "keys": topology.Full},
		Queues:  map[string]topology.Access{"http://q/send": topology.Send, "http://q/watch": topology.SendAndWatch},
		Secrets: topology.OpenSecrets}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
		APIOptions: []func(*middleware.Stack) error{g.Check()}}
	db, sq, keys := dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg), kms.NewFromConfig(cfg)
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}}
	transact := func(item types.TransactWriteItem) error {
		_, err := db.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String("subs"), Item: key}}, item}})
		return err
	}
	for _, tt := range []struct {
		name    string
		granted bool
		call    func() error
	}{
		{"GetItem on a read table", true, func() error {
			_, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("events"), Key: key})
			return err
		}},
		{"BatchGetItem on a read table", true, func() error {
			_, err := db.BatchGetItem(t.Context(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"events": {Keys: []map[string]types.AttributeValue{key}}}})
			return err
		}},
		{"PutItem on a read table", false, func() error {
			_, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("events"), Item: key})
			return err
		}},
		{"Query on a table not granted", false, func() error {
			_, err := db.Query(t.Context(), &dynamodb.QueryInput{TableName: aws.String("deliveries")})
			return err
		}},
		{"a transaction's delete on a read-write table", false, func() error {
			return transact(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String("subs"), Key: key}})
		}},
		{"a transaction's delete on a full table", true, func() error {
			return transact(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String("keys"), Key: key}})
		}},
		{"SendMessageBatch to a queue it sends to", true, func() error {
			_, err := sq.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String("http://q/send"),
				Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("1"), MessageBody: aws.String("{}")}}})
			return err
		}},
		{"GetQueueAttributes of a queue it only sends to", false, func() error {
			_, err := sq.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String("http://q/send")})
			return err
		}},
		{"GetQueueAttributes of a queue it watches", true, func() error {
			_, err := sq.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String("http://q/watch")})
			return err
		}},
		{"kms:Decrypt when it opens secrets", true, func() error {
			_, err := keys.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: []byte("x")})
			return err
		}},
		{"kms:GenerateDataKey when it only opens them", false, func() error {
			_, err := keys.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String("k")})
			return err
		}},
	} {
		before := reached
		err := tt.call()
		if refused := errors.Is(err, awsenv.ErrNotGranted); refused == tt.granted || (refused && reached != before) {
			t.Errorf("%s: %v (reached AWS %d times)", tt.name, err, reached-before)
		}
	}
}

// TestGrantsOfAFunction: a function's grants name its tables and queues as its variables do.
func TestGrantsOfAFunction(t *testing.T) {
	f, _ := topology.Default().Function("scheduler")
	env := map[string]string{topology.TableEnv(topology.TableEvents): "wedsync-events", topology.QueueEnv(topology.QueueDeliveries): "http://sqs/deliveries"}
	g := awsenv.GrantsOf(wsconfig.Read(func(k string) string { return env[k] }), f)
	if g.Tables["wedsync-events"] != topology.ReadWrite || g.Queues["http://sqs/deliveries"] != topology.SendAndWatch || g.Secrets != topology.NoSecrets {
		t.Fatalf("%+v", g)
	}
}
