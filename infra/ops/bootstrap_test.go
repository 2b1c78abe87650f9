package main

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type identityFunc func() (*sts.GetCallerIdentityOutput, error)

func (f identityFunc) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f()
}

type parametersFunc func(name string) (*ssm.GetParameterOutput, error)

func (f parametersFunc) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return f(aws.ToString(in.Name))
}

func version(v string) parametersFunc {
	return func(name string) (*ssm.GetParameterOutput, error) {
		if name != "/cdk-bootstrap/hnb659fds/version" {
			return nil, &ssmtypes.ParameterNotFound{}
		}
		return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(v)}}, nil
	}
}

func TestCheckBootstrap(t *testing.T) {
	account := identityFunc(func() (*sts.GetCallerIdentityOutput, error) {
		return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012")}, nil
	})
	noCredentials := identityFunc(func() (*sts.GetCallerIdentityOutput, error) { return nil, errors.New("no credentials") })
	denied := parametersFunc(func(string) (*ssm.GetParameterOutput, error) { return nil, errors.New("AccessDenied") })
	for name, c := range map[string]struct {
		who     Identity
		params  Parameters
		want    error
		version int
	}{
		"bootstrapped":         {who: account, params: version("30"), version: 30},
		"not bootstrapped":     {who: account, params: version("ignored"), want: ErrNotBootstrapped},
		"bootstrapped too old": {who: account, params: version("4"), want: ErrOldBootstrap, version: 4},
	} {
		t.Run(name, func(t *testing.T) {
			q := DefaultQualifier
			if name == "not bootstrapped" {
				q = "other"
			}
			env, v, err := CheckBootstrap(context.Background(), c.who, c.params, "eu-west-1", q)
			if !errors.Is(err, c.want) || v != c.version || env.String() != "aws://123456789012/eu-west-1" {
				t.Fatalf("CheckBootstrap = %s, %d, %v; want %v", env, v, err, c.want)
			}
		})
	}
	t.Run("no credentials, or no permission: neither outcome", func(t *testing.T) {
		for _, c := range []struct {
			who    Identity
			params Parameters
		}{{noCredentials, version("30")}, {account, denied}} {
			_, _, err := CheckBootstrap(context.Background(), c.who, c.params, "eu-west-1", DefaultQualifier)
			if err == nil || errors.Is(err, ErrNotBootstrapped) || errors.Is(err, ErrOldBootstrap) {
				t.Errorf("err = %v, want an error that is neither", err)
			}
		}
	})
}

func TestDeployRegionFallsBackAsTheCLI(t *testing.T) {
	t.Setenv("AWS_DEFAULT_REGION", "")
	if r := deployRegion(""); r != "us-east-1" {
		t.Errorf("no region: %s, want us-east-1", r)
	}
	t.Setenv("AWS_DEFAULT_REGION", "eu-central-1")
	if r := deployRegion(""); r != "eu-central-1" {
		t.Errorf("AWS_DEFAULT_REGION: %s", r)
	}
	if r := deployRegion("eu-west-1"); r != "eu-west-1" {
		t.Errorf("SDK region: %s", r)
	}
}
