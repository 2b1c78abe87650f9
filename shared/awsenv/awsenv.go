package awsenv

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	wsconfig "github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/topology"
	"github.com/wedsync/webhooks/shared/tracing"
)

// MaxAttempts is how many times the SDK tries a call.
const MaxAttempts = 3

// DefaultCallTimeout bounds one AWS call, retries included, unless WEDSYNC_AWS_CALL_TIMEOUT says otherwise.
const DefaultCallTimeout = 3 * time.Second

// Settings are the variables every function reads: its stage, its KMS key, the per-call
// deadline and the local stack's knobs.
type Settings struct {
	// Stage is WEDSYNC_STAGE.
	Stage string
	// KMSKeyID is WEDSYNC_KMS_KEY_ID, the key secrets are sealed with.
	KMSKeyID string
	// CallTimeout is WEDSYNC_AWS_CALL_TIMEOUT.
	CallTimeout time.Duration
	// AllowLoopback is WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS, the local stack's SSRF exception.
	AllowLoopback bool
	// Faults (WEDSYNC_FAULTS) and Stats (WEDSYNC_AWS_STATS) are the local stack's knobs
	// (see LocalOptions).
	Faults, Stats string
	// Function is the function's name, as its stats lines carry it.
	Function string
	// Tracer sends X-Ray subsegments to AWS_XRAY_DAEMON_ADDRESS (set by Lambda when tracing
	// is active); nil traces nothing.
	Tracer *tracing.Emitter
	// Env reads the variables Load builds the AWS configuration from (region, credentials,
	// endpoints); nil reads none.
	Env func(string) string
	// Grants are what the function's role allows; in the local stack every call is checked
	// against them (see Grants).
	Grants *Grants
}

// ReadSettings reads the settings of function f: WEDSYNC_STAGE is required, and so is
// WEDSYNC_KMS_KEY_ID outside the local stack and tests when the topology says f uses
// secrets; the local stack's knobs are refused in any other stage.
func ReadSettings(v *wsconfig.Vars, f topology.Function) Settings {
	s := Settings{
		Stage:         v.Required("WEDSYNC_STAGE"),
		KMSKeyID:      v.String("WEDSYNC_KMS_KEY_ID"),
		CallTimeout:   v.PositiveDuration("WEDSYNC_AWS_CALL_TIMEOUT", DefaultCallTimeout),
		AllowLoopback: v.Bool("WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS"),
		Faults:        v.String(FaultsEnv),
		Stats:         v.String(StatsEnv),
		Function:      f.Name,
		Tracer:        tracing.New(v.String("AWS_XRAY_DAEMON_ADDRESS")),
		Env:           v.String,
		Grants:        GrantsOf(v, f),
	}
	local, test := s.Stage == secrets.StageLocal, s.Stage == secrets.StageTest
	localOnly := fmt.Errorf("%w: %w", wsconfig.ErrInvalid, ErrLocalOnly)
	if s.AllowLoopback && !local && !test {
		v.Problem("WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS", localOnly, "")
	}
	for name, value := range map[string]string{FaultsEnv: s.Faults, StatsEnv: s.Stats} {
		if value != "" && !local {
			v.Problem(name, localOnly, "")
		}
	}
	if _, err := ParseFaults(s.Faults); err != nil && local {
		v.Problem(FaultsEnv, fmt.Errorf("%w: %w", wsconfig.ErrMalformed, err), "")
	}
	if f.Secrets != topology.NoSecrets && s.KMSKeyID == "" && s.Stage != "" && !local && !test {
		v.Problem("WEDSYNC_KMS_KEY_ID", wsconfig.ErrMissing, "the function opens secrets")
	}
	return s
}

// Load reads a function's AWS configuration from its environment (region, the execution
// role's credentials, AWS_ENDPOINT_URL_*; see lambdaConfig), adds the per-call deadline
// and, in the local stack only, the WEDSYNC_FAULTS and WEDSYNC_AWS_STATS knobs (see
// LocalOptions).
func Load(_ context.Context, s Settings) (aws.Config, error) {
	if s.CallTimeout <= 0 {
		s.CallTimeout = DefaultCallTimeout
	}
	local, err := LocalOptions(s)
	if err != nil {
		return aws.Config{}, err
	}
	env := s.Env
	if env == nil {
		env = func(string) string { return "" }
	}
	cfg := lambdaConfig(env)
	if s.Stage == secrets.StageLocal && s.Grants != nil {
		cfg.APIOptions = append(cfg.APIOptions, s.Grants.Check())
	}
	cfg.APIOptions = append(cfg.APIOptions, CallTimeout(s.CallTimeout))
	cfg.APIOptions = append(cfg.APIOptions, local...)
	if s.Tracer != nil {
		cfg.APIOptions = append(cfg.APIOptions, s.Tracer.AWS())
	}
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

// serviceEndpoint is implemented by the SDK's environment config source.
type serviceEndpoint interface {
	GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
}

// DynamoDB returns a DynamoDB client. Against an emulator (AWS_ENDPOINT_URL_DYNAMODB, as the
// SDK read it, or a base endpoint) it skips response CRC validation, which DynamoDB Local
// does not always satisfy.
func DynamoDB(cfg aws.Config) *dynamodb.Client {
	local := cfg.BaseEndpoint != nil
	for _, src := range cfg.ConfigSources {
		if e, ok := src.(serviceEndpoint); ok {
			if _, found, _ := e.GetServiceBaseEndpoint(context.Background(), dynamodb.ServiceID); found {
				local = true
			}
		}
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.DisableValidateResponseChecksum = local
	})
}

// KMS returns a KMS client.
func KMS(cfg aws.Config) *kms.Client { return kms.NewFromConfig(cfg) }

// SQS returns an SQS client.
func SQS(cfg aws.Config) *sqs.Client { return sqs.NewFromConfig(cfg) }

// LoadWithSealer loads the AWS config and the sealer of the stage: the KMS envelope when
// a KMS key is set, plaintext only in the local and test stages.
func LoadWithSealer(ctx context.Context, s Settings) (aws.Config, secrets.Sealer, error) {
	cfg, err := Load(ctx, s)
	if err != nil {
		return aws.Config{}, nil, err
	}
	sealer, err := secrets.ForStage(s.Stage, s.KMSKeyID, KMS(cfg))
	return cfg, sealer, err
}
