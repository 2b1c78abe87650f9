package awsenv

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/secrets"
)

// MaxAttempts is how many times the SDK tries a call.
const MaxAttempts = 3

// DefaultCallTimeout bounds one AWS call, retries included, unless WEDSYNC_AWS_CALL_TIMEOUT says otherwise.
const DefaultCallTimeout = 3 * time.Second

// Load reads the AWS configuration from the environment (credentials, region,
// AWS_ENDPOINT_URL_*), adds the per-call deadline and, in the local stack only, the
// WEDSYNC_FAULTS and WEDSYNC_AWS_STATS knobs (see LocalOptions).
func Load(ctx context.Context) (aws.Config, error) {
	timeout, err := Duration("WEDSYNC_AWS_CALL_TIMEOUT", DefaultCallTimeout)
	if err != nil || timeout == 0 {
		return aws.Config{}, fmt.Errorf("WEDSYNC_AWS_CALL_TIMEOUT must be a positive duration")
	}
	local, err := LocalOptions(os.Getenv("WEDSYNC_STAGE"), os.Getenv)
	if err != nil {
		return aws.Config{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(MaxAttempts))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, CallTimeout(timeout))
	cfg.APIOptions = append(cfg.APIOptions, local...)
	return cfg, nil
}

// CallTimeout returns SDK middleware that gives each operation, retries included, at most d.
func CallTimeout(d time.Duration) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("WedSyncCallTimeout",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				ctx, cancel := context.WithTimeout(ctx, d)
				defer cancel()
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// DynamoDB returns a DynamoDB client. Against an emulator (AWS_ENDPOINT_URL_DYNAMODB set) it
// skips response CRC validation, which DynamoDB Local does not always satisfy.
func DynamoDB(cfg aws.Config) *dynamodb.Client {
	local := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" || cfg.BaseEndpoint != nil
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.DisableValidateResponseChecksum = local
	})
}

// KMS returns a KMS client.
func KMS(cfg aws.Config) *kms.Client { return kms.NewFromConfig(cfg) }

// SQS returns an SQS client.
func SQS(cfg aws.Config) *sqs.Client { return sqs.NewFromConfig(cfg) }

// Require returns the values of the named environment variables, or an error naming every
// one that is missing.
func Require(names ...string) (map[string]string, error) {
	values := make(map[string]string, len(names))
	var missing []string
	for _, name := range names {
		v := os.Getenv(name)
		if v == "" {
			missing = append(missing, name)
		}
		values[name] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables: %v", missing)
	}
	return values, nil
}

// Duration reads a duration variable, with def when unset.
func Duration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q is not a duration", name, v)
	}
	return d, nil
}

// LoadWithSealer loads the AWS config and the sealer of the stage: the KMS envelope when
// WEDSYNC_KMS_KEY_ID is set, plaintext only in the local and test stages.
func LoadWithSealer(ctx context.Context, stage string) (aws.Config, secrets.Sealer, error) {
	cfg, err := Load(ctx)
	if err != nil {
		return aws.Config{}, nil, err
	}
	sealer, err := secrets.ForStage(stage, os.Getenv("WEDSYNC_KMS_KEY_ID"), KMS(cfg))
	return cfg, sealer, err
}

// AllowLoopback reads WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS, the local stack's SSRF exception,
// and refuses it in any other stage.
func AllowLoopback(stage string) (bool, error) {
	allow := os.Getenv("WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS") == "true"
	if allow && stage != secrets.StageLocal && stage != secrets.StageTest {
		return false, fmt.Errorf("WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS is allowed only in the local stack")
	}
	return allow, nil
}
