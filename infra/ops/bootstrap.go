package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Outcomes of the bootstrap check.
var (
	// ErrNotBootstrapped means the environment has no CDK bootstrap stack.
	ErrNotBootstrapped = errors.New("not bootstrapped")
	// ErrOldBootstrap means the bootstrap stack is older than the stack needs.
	ErrOldBootstrap = errors.New("bootstrapped with a version too old")
)

// MinBootstrapVersion is the bootstrap version the synthesized stack requires
// (requiresBootstrapStackVersion in its manifest).
const MinBootstrapVersion = 6

// DefaultQualifier is the CDK's bootstrap qualifier unless cdk.json sets another.
const DefaultQualifier = "hnb659fds"

// Identity says who the credentials are: the caller's account.
type Identity interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Parameters reads SSM parameters: the bootstrap stack publishes its version in one.
type Parameters interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Environment is the account and region a deploy goes to, as aws://account/region.
type Environment struct{ Account, Region string }

func (e Environment) String() string { return "aws://" + e.Account + "/" + e.Region }

// CheckBootstrap finds the environment of the credentials and the version of its CDK
// bootstrap stack; ErrNotBootstrapped or ErrOldBootstrap when a deploy cannot work.
func CheckBootstrap(ctx context.Context, who Identity, params Parameters, region, qualifier string) (Environment, int, error) {
	env := Environment{Region: region}
	id, err := who.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return env, 0, fmt.Errorf("cannot use your AWS credentials: %w", err)
	}
	env.Account = aws.ToString(id.Account)
	name := "/cdk-bootstrap/" + qualifier + "/version"
	out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var notFound *ssmtypes.ParameterNotFound
	if errors.As(err, &notFound) {
		return env, 0, fmt.Errorf("%s is %w for the CDK (no SSM parameter %s)", env, ErrNotBootstrapped, name)
	}
	if err != nil {
		return env, 0, fmt.Errorf("read %s in %s: %w", name, env, err)
	}
	version, err := strconv.Atoi(aws.ToString(out.Parameter.Value))
	if err != nil {
		return env, 0, fmt.Errorf("%s in %s is %q, not a version", name, env, aws.ToString(out.Parameter.Value))
	}
	if version < MinBootstrapVersion {
		return env, version, fmt.Errorf("%s is %w (%d; the stack needs %d)", env, ErrOldBootstrap, version, MinBootstrapVersion)
	}
	return env, version, nil
}

// preflight runs before `cdk deploy`: it names the environment, and stops the deploy with the
// `cdk bootstrap` command to run when the environment is not (or too old) bootstrapped. When
// it cannot tell (no permission to read the parameter), it says so and lets the CLI decide.
func preflight(ctx context.Context, root string, w io.Writer) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load your AWS configuration: %w", err)
	}
	cfg.Region = deployRegion(cfg.Region)
	env, version, err := CheckBootstrap(ctx, sts.NewFromConfig(cfg), ssm.NewFromConfig(cfg), cfg.Region, qualifier(root))
	switch {
	case errors.Is(err, ErrNotBootstrapped), errors.Is(err, ErrOldBootstrap):
		fmt.Fprintf(w, "make: %v. Bootstrap it once (it creates the CDK's deployment roles and asset bucket), then run make deploy again:\n", err)
		fmt.Fprintf(w, "  .tools/cdk/node_modules/.bin/cdk bootstrap %s\n", env)
		return errors.New("the environment is not bootstrapped")
	case env.Account == "":
		return err
	case err != nil:
		fmt.Fprintf(w, "make: cannot tell whether %s is bootstrapped (%v); deploying anyway\n", env, err)
		return nil
	}
	fmt.Fprintf(w, "make: deploying to %s (CDK bootstrap version %d)\n", env, version)
	return nil
}

// deployRegion is the region the CDK CLI deploys to: the SDK's, else AWS_DEFAULT_REGION, else
// us-east-1, as the CLI falls back.
func deployRegion(sdk string) string {
	for _, r := range []string{sdk, os.Getenv("AWS_DEFAULT_REGION")} {
		if r != "" {
			return r
		}
	}
	return "us-east-1"
}

// qualifier is cdk.json's @aws-cdk/core:bootstrapQualifier, else the CDK's default.
func qualifier(root string) string {
	var file struct {
		Context map[string]any `json:"context"`
	}
	if b, err := os.ReadFile(filepath.Join(root, "cdk.json")); err == nil && json.Unmarshal(b, &file) == nil {
		if q, ok := file.Context["@aws-cdk/core:bootstrapQualifier"].(string); ok && q != "" {
			return q
		}
	}
	return DefaultQualifier
}
