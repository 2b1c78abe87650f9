package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// fakeCloudFormation plays CloudFormation's DescribeStacks on loopback: the stack name
// has outputs; any other is missing, as AWS answers.
func fakeCloudFormation(t *testing.T, name string, outputs map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("content-type", "text/xml")
		if r.Form.Get("Action") != "DescribeStacks" || r.Form.Get("StackName") != name {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>`+
				`<Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>`,
				html.EscapeString(r.Form.Get("StackName")))
			return
		}
		keys := make([]string, 0, len(outputs))
		for k := range outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", k, html.EscapeString(outputs[k]))
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>`+
			`<StackName>%s</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/%s/1</StackId>`+
			`<CreationTime>2026-11-25T10:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>%s</Outputs>`+
			`</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
			name, name, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// stackOutputs are the outputs the CDK stack would have over target's resources.
func stackOutputs(target *Target, stage string) map[string]string {
	out := map[string]string{"ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/", "Stage": stage, "RetentionDays": "14",
		"SecretsKeyId": target.SecretsKeyID}
	for _, table := range store.Tables() {
		out[pascal(table.Name)+"TableName"] = target.table(table.Name)
	}
	for _, q := range topology.Default().Queues {
		out[pascal(q.Name)+"QueueUrl"], out[pascal(q.Name)+"DLQUrl"] = target.Queues[q.Name], target.DLQs[q.Name]
	}
	return out
}

// deployedEnv points the operator's SDK at the fakes and the emulators, with credentials.
func deployedEnv(t *testing.T, cloudFormation string) {
	t.Helper()
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_CLOUDFORMATION": cloudFormation, "AWS_ENDPOINT_URL_DYNAMODB": testenv.DynamoDBEndpoint(t),
		"AWS_ENDPOINT_URL_SQS": testenv.SQSEndpoint(t), "AWS_ENDPOINT_URL_KMS": testenv.KMSEndpoint(t), "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
}

// TestDeployedStackFoundByNameAndStage: the deployed path finds the stack's tables and
// queues through CloudFormation (a loopback fake of DescribeStacks) with the operator's
// credentials, and works on them; a missing stage, credentials or stack, a stack of
// another stage or without the outputs are each a clear error.
func TestDeployedStackFoundByNameAndStage(t *testing.T) {
	target := newTarget(t)
	deployedEnv(t, fakeCloudFormation(t, stackName, stackOutputs(target, "prod")))
	root := t.TempDir()

	out, err := opsAt(t, root, "tenant", "create", "--stage", "prod", "--name", "Venue", "--id", "t_venue", "--json")
	if err != nil || !strings.Contains(out, `"t_venue"`) {
		t.Fatalf("tenant create on the deployed stack: %s, %v", out, err)
	}
	out, err = opsAt(t, root, "key", "issue", "--stage", "prod", "--tenant", "t_venue")
	if err != nil || !strings.Contains(out, "https://abc123.execute-api.us-east-1.amazonaws.com/v1/connections") {
		t.Fatalf("key issue: %s, %v", out, err)
	}
	if _, err := (&store.Tenants{DB: target.DB, Table: target.table(topology.TableTenants)}).Get(t.Context(), "t_venue"); err != nil {
		t.Fatalf("the tenant is not in the stack's table: %v", err)
	}
	out, err = opsAt(t, root, "retention", "show", "--stage", "prod", "--json")
	var ret struct {
		RetentionDays int `json:"retention_days"`
	}
	if err != nil || json.Unmarshal([]byte(out), &ret) != nil || ret.RetentionDays != 14 {
		t.Errorf("retention show: %s, %v", out, err)
	}

	for name, c := range map[string]struct {
		args []string
		want error
	}{
		"no stage":    {[]string{"tenant", "list"}, ErrNoStage},
		"other stage": {[]string{"tenant", "list", "--stage", "staging"}, ErrWrongStage},
		"no stack":    {[]string{"tenant", "list", "--stage", "prod", "--stack", "Elsewhere"}, ErrNoStack},
	} {
		if _, err := opsAt(t, root, c.args...); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		if _, err := opsAt(t, root, "tenant", "list", "--stage", "prod"); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("%v, want ErrNoCredentials", err)
		}
	})
	t.Run("outputs missing", func(t *testing.T) {
		outputs := stackOutputs(target, "prod")
		delete(outputs, "JobsTableName")
		deployedEnv(t, fakeCloudFormation(t, stackName, outputs))
		if _, err := opsAt(t, root, "tenant", "list", "--stage", "prod"); !errors.Is(err, ErrNoOutputs) || !strings.Contains(err.Error(), "JobsTableName") {
			t.Errorf("%v, want ErrNoOutputs naming JobsTableName", err)
		}
	})
}
