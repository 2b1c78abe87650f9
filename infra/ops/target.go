package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Why a stack cannot be reached.
var (
	// ErrNoStage means --stage is missing.
	ErrNoStage = errors.New("no stage: pass --stage <stage> (the context parameter stage you deployed with, e.g. prod), or --stage local for make dev's stack")
	// ErrNoCredentials means the SDK found no AWS credentials.
	ErrNoCredentials = errors.New("no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the stack's account")
	// ErrNoStack means CloudFormation has no such stack in the credentials' account and region.
	ErrNoStack = errors.New("no such stack")
	// ErrWrongStage means the stack was deployed with another stage.
	ErrWrongStage = errors.New("the stack is another stage")
	// ErrNoLocalStack means --stage local was given and no local stack runs.
	ErrNoLocalStack = errors.New("no local stack is running: start one with `make dev`")
)

// DefaultRetentionDays is the functions' retention when nothing sets it (the local stack).
const DefaultRetentionDays = 30

// Target is a stack to operate: where its tables and queues are and the clients that reach
// them, with the operator's credentials (or the local stack's emulators).
type Target struct {
	// Name says which stack it is, for messages.
	Name          string
	Stage         string
	APIURL        string
	RetentionDays int
	// Tables, Queues and DLQs map the topology's logical names to tables and queue URLs.
	Tables, Queues, DLQs map[string]string
	// SecretsKeyID seals remembered answers again once an erasure redacts them.
	SecretsKeyID string
	DB           *dynamodb.Client
	SQS          *sqs.Client
	KMS          *kms.Client
}

// Sealer opens and seals the stack's secrets: the KMS envelope, or the local stack's
// plaintext when it has no key.
func (t *Target) Sealer() (secrets.Sealer, error) {
	return secrets.ForStage(t.Stage, t.SecretsKeyID, t.KMS)
}

// table is a table's physical name.
func (t *Target) table(logical string) string { return t.Tables[logical] }

// Stacks finds a deployed stack's outputs.
type Stacks interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// resolve finds the stack the flags name: the local stack for --stage local, else the
// CloudFormation stack --stack in the credentials' account and region, which must be of
// --stage.
func resolve(ctx context.Context, root string, c *common) (*Target, error) {
	switch c.stage {
	case "":
		return nil, ErrNoStage
	case secrets.StageLocal:
		return localTarget(root)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(awsenv.MaxAttempts))
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, awsenv.CallTimeout(awsenv.DefaultCallTimeout))
	if cfg.Credentials == nil {
		return nil, ErrNoCredentials
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoCredentials, err)
	}
	return deployedTarget(ctx, cloudformation.NewFromConfig(cfg), cfg, c.stack, c.stage)
}

// deployedTarget reads the stack's outputs and checks its stage.
func deployedTarget(ctx context.Context, cf Stacks, cfg aws.Config, name, stage string) (*Target, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" {
		return nil, fmt.Errorf("%w %s in %s: deploy it with make deploy, or pass --stack", ErrNoStack, name, cfg.Region)
	}
	if err != nil {
		return nil, fmt.Errorf("read the stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("%w %s in %s", ErrNoStack, name, cfg.Region)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	switch got := outputs["Stage"]; {
	case got == "":
		return nil, fmt.Errorf("%w: %s has no Stage output (deployed before it had one): deploy it again", ErrWrongStage, name)
	case got != stage:
		return nil, fmt.Errorf("%w: %s in %s is stage %q, not %q", ErrWrongStage, name, cfg.Region, got, stage)
	}
	t := &Target{Name: fmt.Sprintf("%s (%s, %s)", name, stage, cfg.Region), Stage: stage, APIURL: strings.TrimRight(outputs["ApiUrl"], "/"),
		Tables: map[string]string{}, Queues: map[string]string{}, DLQs: map[string]string{}, SecretsKeyID: outputs["SecretsKeyId"],
		DB: awsenv.DynamoDB(cfg), SQS: awsenv.SQS(cfg), KMS: awsenv.KMS(cfg)}
	t.RetentionDays, _ = strconv.Atoi(outputs["RetentionDays"])
	var missing []string
	for _, table := range store.Tables() {
		if t.Tables[table.Name] = outputs[pascal(table.Name)+"TableName"]; t.Tables[table.Name] == "" {
			missing = append(missing, pascal(table.Name)+"TableName")
		}
	}
	for _, q := range topology.Default().Queues {
		t.Queues[q.Name], t.DLQs[q.Name] = outputs[pascal(q.Name)+"QueueUrl"], outputs[pascal(q.Name)+"DLQUrl"]
		if t.Queues[q.Name] == "" || t.DLQs[q.Name] == "" {
			missing = append(missing, pascal(q.Name)+"QueueUrl or DLQUrl")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s lacks %s: deploy it again", ErrNoOutputs, name, strings.Join(missing, ", "))
	}
	return t, nil
}

// localTarget is the local stack that make dev runs, from its state file.
func localTarget(root string) (*Target, error) {
	st, err := local.ReadState(filepath.Join(root, ".dev"))
	if err != nil || !st.Running {
		return nil, ErrNoLocalStack
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return &Target{
		Name: "the local stack (" + st.URL + ")", Stage: secrets.StageLocal, APIURL: st.URL, RetentionDays: DefaultRetentionDays,
		Tables: st.Tables, Queues: st.Queues, DLQs: st.DLQs, SecretsKeyID: st.KMSKeyID,
		DB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.BaseEndpoint, o.DisableValidateResponseChecksum = aws.String(st.DynamoDB), true
		}),
		SQS: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(st.SQS) }),
		KMS: kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(st.KMS) }),
	}, nil
}

// pascal turns "api_keys" or "ingest-stripe" into "ApiKeys" / "IngestStripe", as the
// stack names its outputs.
func pascal(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "")
}
