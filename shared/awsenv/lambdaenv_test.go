package awsenv_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/awsenv"
)

// TestLoadReadsTheLambdaEnvironment: a function's clients sign with the execution role's
// credentials for AWS_REGION and reach the service's own endpoint variable before
// AWS_ENDPOINT_URL; without credentials a call fails with ErrNoCredentials, sending nothing.
func TestLoadReadsTheLambdaEnvironment(t *testing.T) {
	seen := map[string]string{}
	serve := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen[name] = r.Header.Get("Authorization") + " token=" + r.Header.Get("X-Amz-Security-Token")
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(`{}`))
		}))
		t.Cleanup(s.Close)
		return s
	}
	dynamo, other := serve("dynamodb"), serve("other")
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDROLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "role-secret")
	t.Setenv("AWS_SESSION_TOKEN", "role-token")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.URL)
	t.Setenv("AWS_ENDPOINT_URL", other.URL)
	cfg, err := awsenv.Load(t.Context(), awsenv.Settings{Stage: "prod", Env: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := awsenv.DynamoDB(cfg).ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := awsenv.SQS(cfg).ListQueues(t.Context(), &sqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"dynamodb": "/eu-west-2/dynamodb/", "other": "/eu-west-2/sqs/"} {
		got := seen[name]
		if !strings.Contains(got, "Credential=AKIDROLE/") || !strings.Contains(got, want) || !strings.HasSuffix(got, "token=role-token") {
			t.Errorf("%s endpoint saw %q, want the role's credentials for %s", name, got, want)
		}
	}

	clear(seen)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	cfg, err = awsenv.Load(t.Context(), awsenv.Settings{Stage: "prod", Env: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := awsenv.DynamoDB(cfg).ListTables(t.Context(), &dynamodb.ListTablesInput{}); !errors.Is(err, awsenv.ErrNoCredentials) {
		t.Fatalf("a call without credentials: %v", err)
	}
	if len(seen) != 0 {
		t.Fatalf("a call without credentials reached %v", seen)
	}
}
