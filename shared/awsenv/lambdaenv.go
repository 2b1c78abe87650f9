package awsenv

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ErrNoCredentials means the environment holds no AWS credentials: Lambda sets the execution
// role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in every function.
var ErrNoCredentials = errors.New("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")

// lambdaConfig is the AWS configuration a function's environment holds: what Lambda sets
// (AWS_REGION, the execution role's credentials) and what the local stack adds
// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL). It reads no shared config file and
// reaches no SSO, STS or instance-metadata endpoint: config.LoadDefaultConfig's chain of
// providers, which Lambda never uses, costs every cold start about a millisecond of package
// initialisation. An operator's tools, which do use profiles, load the SDK's chain instead.
func lambdaConfig(getenv func(string) string) aws.Config {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	key, secret, token := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		if key == "" || secret == "" {
			return aws.Credentials{}, ErrNoCredentials
		}
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token, Source: "Environment"}, nil
	})
	cfg := aws.Config{
		Region:           region,
		Credentials:      creds,
		RetryMaxAttempts: MaxAttempts,
		ConfigSources:    []any{endpointVars(getenv)},
	}
	if url := getenv("AWS_ENDPOINT_URL"); url != "" {
		cfg.BaseEndpoint = aws.String(url)
	}
	return cfg
}

// endpointVars answers the SDK's clients with a service's own endpoint variable, as the
// SDK's environment source does: AWS_ENDPOINT_URL_<SERVICE ID> (upper case, spaces as
// underscores). The clients take AWS_ENDPOINT_URL from the configuration's BaseEndpoint.
type endpointVars func(string) string

// GetServiceBaseEndpoint is the method the SDK's clients look for in a configuration source.
func (e endpointVars) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	url := e("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_")))
	return url, url != "", nil
}
