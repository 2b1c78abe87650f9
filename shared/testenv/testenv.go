package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/store"
)

// CallTimeout is the per-call deadline of test clients; fault tests use FaultCallTimeout.
const CallTimeout = 5 * time.Second

// FaultCallTimeout is the per-call deadline of clients that suffer injected faults.
const FaultCallTimeout = 100 * time.Millisecond

// RetryBackoff caps the SDK's wait between attempts in tests, so three attempts fit in a
// call's deadline.
const RetryBackoff = 10 * time.Millisecond

type lazy struct {
	once     sync.Once
	endpoint string
	proc     *emulator.Process
	err      error
}

var (
	dynamo lazy
	queues lazy
	keys   lazy
)

func (l *lazy) get(envVar string, start func(ctx context.Context, root string) (*emulator.Process, error)) (string, error) {
	l.once.Do(func() {
		if ep := os.Getenv(envVar); ep != "" {
			l.endpoint = ep
			return
		}
		wd, err := os.Getwd()
		if err != nil {
			l.err = err
			return
		}
		root, err := emulator.Root(wd)
		if err != nil {
			l.err = err
			return
		}
		l.proc, l.err = start(context.Background(), root)
		if l.err == nil {
			l.endpoint = l.proc.Endpoint
		}
	})
	return l.endpoint, l.err
}

// Main runs a package's tests with the AWS variables every local process sets, then stops
// the emulators they started. Use it from TestMain: os.Exit(testenv.Main(m)).
func Main(m *testing.M) int {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	code := m.Run()
	dynamo.proc.Stop()
	queues.proc.Stop()
	keys.proc.Stop()
	stripeMock.proc.Stop()
	if kmsDataDir != "" {
		os.RemoveAll(kmsDataDir)
	}
	return code
}

// DynamoDBEndpoint returns the DynamoDB emulator's endpoint, starting it if needed. It fails
// the test, naming what is missing, when it cannot.
func DynamoDBEndpoint(t testing.TB) string {
	t.Helper()
	SkipShort(t, "the DynamoDB emulator")
	ep, err := dynamo.get("WEDSYNC_TEST_DYNAMODB_ENDPOINT", func(ctx context.Context, root string) (*emulator.Process, error) {
		p, err := emulator.StartDynamoDB(ctx, root, 0, io.Discard)
		if err != nil {
			return nil, err
		}
		if err := warmDynamoDB(ctx, p.Endpoint); err != nil {
			p.Stop()
			return nil, err
		}
		return p, nil
	})
	if err != nil {
		t.Fatalf("DynamoDB emulator: %v", err)
	}
	return ep
}

// SQSEndpoint returns the SQS emulator's endpoint, starting it if needed.
func SQSEndpoint(t testing.TB) string {
	t.Helper()
	SkipShort(t, "the SQS emulator")
	ep, err := queues.get("WEDSYNC_TEST_SQS_ENDPOINT", func(ctx context.Context, root string) (*emulator.Process, error) {
		return emulator.StartSQS(ctx, root, 0, os.Stderr)
	})
	if err != nil {
		t.Fatalf("SQS emulator: %v", err)
	}
	return ep
}

var kmsDataDir string

// KMSEndpoint returns the KMS emulator's endpoint (local-kms), starting it if needed.
func KMSEndpoint(t testing.TB) string {
	t.Helper()
	SkipShort(t, "the KMS emulator")
	ep, err := keys.get("WEDSYNC_TEST_KMS_ENDPOINT", func(ctx context.Context, root string) (*emulator.Process, error) {
		dir, err := os.MkdirTemp("", "wedsync-kms-")
		if err != nil {
			return nil, err
		}
		kmsDataDir = dir
		return emulator.StartKMS(ctx, root, 0, dir, nil)
	})
	if err != nil {
		t.Fatalf("KMS emulator: %v", err)
	}
	return ep
}

// KMS returns a client of the KMS emulator built from cfg.
func KMS(t testing.TB, cfg aws.Config) *kms.Client {
	ep := KMSEndpoint(t)
	return kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(ep) })
}

// KMSKey creates a symmetric key in the KMS emulator and returns its id.
func KMSKey(t testing.TB, client *kms.Client) string {
	t.Helper()
	out, err := client.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String(t.Name())})
	if err != nil {
		t.Fatalf("create KMS key: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// Config returns an AWS config with the emulators' static credentials, the SDK's three
// attempts, the per-call deadline timeout and any extra middleware.
func Config(timeout time.Duration, extra ...func(*middleware.Stack) error) aws.Config {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = awsenv.MaxAttempts
				o.MaxBackoff = RetryBackoff
				o.Backoff = retry.NewExponentialJitterBackoff(RetryBackoff)
				o.RateLimiter = ratelimit.None
			})
		},
	}
	cfg.APIOptions = append([]func(*middleware.Stack) error{awsenv.CallTimeout(timeout)}, extra...)
	return cfg
}

// DynamoDB returns a client of the DynamoDB emulator built from cfg.
func DynamoDB(t testing.TB, cfg aws.Config) *dynamodb.Client {
	ep := DynamoDBEndpoint(t)
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(ep)
		o.DisableValidateResponseChecksum = true
	})
}

// SQS returns a client of the SQS emulator built from cfg.
func SQS(t testing.TB, cfg aws.Config) *sqs.Client {
	ep := SQSEndpoint(t)
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(ep) })
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// UniqueName returns a table or queue name no other test uses: prefix, the test's name and
// a random suffix, within SQS's 80 characters.
func UniqueName(t testing.TB, prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 50 {
		name = name[len(name)-50:]
	}
	return fmt.Sprintf("%s-%s-%s", prefix, name, hex.EncodeToString(b[:]))
}

// Tables creates every store table under a unique name and returns logical → physical
// names; the tables are deleted when the test ends.
func Tables(t testing.TB, db *dynamodb.Client) map[string]string {
	t.Helper()
	names := map[string]string{}
	for _, table := range store.Tables() {
		name := UniqueName(t, table.Name)
		if _, err := db.CreateTable(context.Background(), table.Create(name)); err != nil {
			t.Fatalf("create table %s: %v", name, err)
		}
		names[table.Name] = name
		t.Cleanup(func() {
			_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		})
	}
	return names
}

// Queue creates a queue with a unique name and the given visibility timeout, deleted when
// the test ends, and returns its URL.
func Queue(t testing.TB, client *sqs.Client, prefix string, visibility time.Duration) string {
	t.Helper()
	name := UniqueName(t, prefix)
	out, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(int(visibility.Seconds()))},
	})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
	})
	return *out.QueueUrl
}
