package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// synth builds the stack for spec with placeholder bootstraps and returns it with its
// template as JSON.
func synth(t *testing.T, spec topology.Spec) (*stack.Built, assertions.Template, map[string]any) {
	testenv.SkipShort(t, "a CDK synth")
	t.Helper()
	dir := t.TempDir()
	for _, f := range spec.Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("placeholder "+f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	built, err := stack.New(stack.NewApp(nil), stack.Name, stack.Props{Spec: spec, BootstrapDir: dir, Stage: "prod", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	stack.Check(built.Stack)
	tmpl := assertions.Template_FromStack(built.Stack, nil)
	var doc map[string]any
	b, _ := json.Marshal(tmpl.ToJSON())
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return built, tmpl, doc
}

var (
	shared      *stack.Built
	sharedTmpl  assertions.Template
	sharedDoc   map[string]any
	sharedBuilt bool
)

// defaultStack synthesizes the default topology once for the package.
func defaultStack(t *testing.T) (*stack.Built, assertions.Template, map[string]any) {
	testenv.SkipShort(t, "a CDK synth")
	t.Helper()
	if !sharedBuilt {
		shared, sharedTmpl, sharedDoc = synth(t, topology.Default())
		sharedBuilt = true
	}
	return shared, sharedTmpl, sharedDoc
}

func TestEveryTopologyPartIsInTheStack(t *testing.T) {
	_, tmpl, _ := defaultStack(t)
	spec := topology.Default()
	for _, f := range spec.Functions {
		env := map[string]any{"WEDSYNC_STAGE": "prod"}
		vars, err := f.Environment(topology.Resources{Tables: fakeNames(f.Tables), QueueURLs: fakeNames(f.Queues)})
		if err != nil {
			t.Fatal(err)
		}
		for k := range vars {
			env[k] = assertions.Match_AnyValue()
		}
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"FunctionName":  "WedSyncWebhooks-" + f.Name,
			"Runtime":       "provided.al2023",
			"Architectures": []string{"arm64"},
			"Handler":       "bootstrap",
			"Timeout":       f.Timeout.Seconds(),
			"MemorySize":    f.MemoryMB,
			"TracingConfig": map[string]any{"Mode": "Active"},
			"Environment":   map[string]any{"Variables": assertions.Match_ObjectLike(&env)},
		})
		for _, r := range f.Routes {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": r.Method + " " + r.Path})
		}
		for _, s := range f.Schedules {
			tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
				"ScheduleExpression": fmt.Sprintf("rate(%d minute)", int(s.Every/time.Minute)), "State": "ENABLED",
			})
		}
		if src := f.Source; src != nil {
			tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
				"BatchSize": src.BatchSize, "FunctionResponseTypes": []string{"ReportBatchItemFailures"},
				"ScalingConfig": map[string]any{"MaximumConcurrency": src.MaxConcurrency},
			})
		}
		tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"LogGroupName": "/aws/lambda/WedSyncWebhooks-" + f.Name, "RetentionInDays": 30,
		})
	}
	tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(spec.Functions))))
	for _, q := range spec.Queues {
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"VisibilityTimeout":      spec.Visibility(q.Name).Seconds(),
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
			"RedrivePolicy":          map[string]any{"maxReceiveCount": q.MaxReceiveCount},
		})
		for _, f := range spec.Functions {
			if f.Source != nil && f.Source.Queue == q.Name && spec.Visibility(q.Name) < topology.VisibilityFactor*f.Timeout {
				t.Errorf("queue %s visibility below 6 × %s's timeout", q.Name, f.Name)
			}
		}
	}
	tmpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(float64(2*len(spec.Queues))))
	for _, table := range store.Tables() {
		in := table.Create(table.Name)
		props := map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"DeletionProtectionEnabled":        true,
			"SSESpecification":                 map[string]any{"SSEEnabled": true, "SSEType": "KMS"},
		}
		var keys []any
		for _, k := range in.KeySchema {
			keys = append(keys, map[string]any{"AttributeName": *k.AttributeName, "KeyType": string(k.KeyType)})
		}
		props["KeySchema"] = keys
		if table.TTLAttribute != "" {
			props["TimeToLiveSpecification"] = map[string]any{"AttributeName": table.TTLAttribute, "Enabled": true}
		}
		if len(in.GlobalSecondaryIndexes) > 0 {
			var indexes []any
			for _, g := range in.GlobalSecondaryIndexes {
				var keys []any
				for _, k := range g.KeySchema {
					keys = append(keys, map[string]any{"AttributeName": *k.AttributeName, "KeyType": string(k.KeyType)})
				}
				projection := map[string]any{"ProjectionType": string(g.Projection.ProjectionType)}
				if len(g.Projection.NonKeyAttributes) > 0 {
					projection["NonKeyAttributes"] = g.Projection.NonKeyAttributes
				}
				indexes = append(indexes, assertions.Match_ObjectLike(&map[string]any{
					"IndexName": *g.IndexName, "KeySchema": keys, "Projection": projection,
				}))
			}
			props["GlobalSecondaryIndexes"] = assertions.Match_ArrayWith(&indexes)
		}
		tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), props)
	}
	tmpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(float64(len(store.Tables()))))
}

func fakeNames(m map[string]topology.Access) map[string]string {
	out := map[string]string{}
	for k := range m {
		out[k] = "x"
	}
	return out
}

func TestAddingAFunctionToTheTopologyAddsItToTheStack(t *testing.T) {
	spec := topology.Default()
	spec.Functions = append(spec.Functions, topology.Function{
		Name: "ingest-example", Description: "a provider added later",
		Routes: []topology.Route{{Method: "ANY", Path: "/webhooks/example/{connectionId}"}},
		Tables: map[string]topology.Access{topology.TableConnections: topology.Read, topology.TableEvents: topology.Write},
		Queues: map[string]topology.Access{topology.QueueEvents: topology.Send}, Secrets: topology.OpenSecrets,
		Timeout: 10 * time.Second, MemoryMB: 256,
	})
	_, tmpl, _ := synth(t, spec)
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{"FunctionName": "WedSyncWebhooks-ingest-example"})
	tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "ANY /webhooks/example/{connectionId}"})
	tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(spec.Functions))))
}

func TestNoNagErrors(t *testing.T) {
	built, _, _ := defaultStack(t)
	annotations := assertions.Annotations_FromStack(built.Stack)
	nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for level, found := range map[string]any{
		"error":   annotations.FindError(jsii.String("*"), nag),
		"warning": annotations.FindWarning(jsii.String("*"), nag),
	} {
		b, _ := json.Marshal(found)
		if string(b) != "[]" && string(b) != "null" {
			t.Errorf("cdk-nag %ss: %s", level, b)
		}
	}
	for _, s := range stack.Suppressions {
		if s.Reason == nil || len(strings.TrimSpace(*s.Reason)) < 20 {
			t.Errorf("suppression %s has no written reason", *s.Id)
		}
	}
}

func TestObservabilityAndSettings(t *testing.T) {
	_, tmpl, doc := defaultStack(t)
	spec := topology.Default()
	tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(float64(2*len(spec.Queues)+len(spec.Functions)+1)))
	resources := doc["Resources"].(map[string]any)
	for id, r := range resources {
		res := r.(map[string]any)
		if res["Type"] == "AWS::CloudWatch::Alarm" {
			actions, _ := res["Properties"].(map[string]any)["AlarmActions"].([]any)
			if len(actions) != 1 || !strings.Contains(fmt.Sprint(actions[0]), "AlarmTopic") {
				t.Errorf("alarm %s does not notify the alarm topic: %v", id, actions)
			}
		}
	}
	for _, metric := range []string{"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "Errors", "5xx"} {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": metric})
	}
	tmpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
	tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
		"StageName": "$default", "AutoDeploy": true,
		"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 500, "ThrottlingBurstLimit": 1000},
		"AccessLogSettings":    assertions.Match_ObjectLike(&map[string]any{"DestinationArn": assertions.Match_AnyValue()}),
	})
	tmpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"EnableKeyRotation": true})
	for _, out := range []string{"ApiUrl", "EventsTableName", "ConnectionsTableName", "TenantsTableName", "JobsTableName", "EventsQueueUrl",
		"DeliveriesQueueUrl", "EventsDLQUrl", "CommandsDLQUrl", "SecretsKeyId"} {
		tmpl.HasOutput(jsii.String(out), map[string]any{})
	}
	tmpl.HasOutput(jsii.String("Stage"), map[string]any{"Value": "prod"})
	tmpl.HasOutput(jsii.String("RetentionDays"), map[string]any{"Value": "30"})
	raw, _ := json.Marshal(doc)
	for _, localOnly := range []string{"WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS", "WEDSYNC_PUBLIC_URL", `"local"`, "PAYPAL_CERT"} {
		if strings.Contains(string(raw), localOnly) {
			t.Errorf("the stack carries the local-only setting %s", localOnly)
		}
	}
}
