package stack_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// synthWithContext builds the default stack in an app with the given context parameters
// and returns its template as JSON.
func synthWithContext(t *testing.T, context map[string]any) map[string]any {
	testenv.SkipShort(t, "a CDK synth")
	t.Helper()
	dir := t.TempDir()
	spec := topology.Default()
	for _, f := range spec.Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("placeholder "+f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	built, err := stack.New(stack.NewApp(context), stack.Name, stack.Props{Spec: spec, BootstrapDir: dir, Stage: "prod", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	b, _ := json.Marshal(assertions.Template_FromStack(built.Stack, nil).ToJSON())
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// resourcesOf returns the template's resources of type typ by logical id.
func resourcesOf(doc map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range doc["Resources"].(map[string]any) {
		if res := r.(map[string]any); res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

// functionEnv returns the environment of the function named WedSyncWebhooks-<name>.
func functionEnv(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	for _, fn := range resourcesOf(doc, "AWS::Lambda::Function") {
		if props(fn)["FunctionName"] == stack.Name+"-"+name {
			return props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
		}
	}
	t.Fatalf("no function %s", name)
	return nil
}

// checkThrottles asserts every route's throttle at the stage: ingest routes one pair,
// /v1 another, and that the two differ.
func checkThrottles(t *testing.T, doc map[string]any, ingestRate, ingestBurst, apiRate, apiBurst float64) {
	t.Helper()
	stages := resourcesOf(doc, "AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages", len(stages))
	}
	var stageRes map[string]any
	for _, s := range stages {
		stageRes = s
	}
	settings, _ := props(stageRes)["RouteSettings"].(map[string]any)
	routes := 0
	for _, f := range topology.Default().Functions {
		for _, r := range f.Routes {
			routes++
			got, _ := settings[r.Method+" "+r.Path].(map[string]any)
			rate, burst := ingestRate, ingestBurst
			if strings.HasPrefix(r.Path, "/v1/") {
				rate, burst = apiRate, apiBurst
			}
			if got["ThrottlingRateLimit"] != rate || got["ThrottlingBurstLimit"] != burst {
				t.Errorf("route %s %s throttled at %v, want rate %v burst %v", r.Method, r.Path, got, rate, burst)
			}
		}
	}
	if len(settings) != routes {
		t.Errorf("%d route settings for %d routes", len(settings), routes)
	}
	if ingestRate == apiRate && ingestBurst == apiBurst {
		t.Errorf("ingest routes and /v1 share one throttle")
	}
	deps := asList(stageRes["DependsOn"])
	for id, route := range resourcesOf(doc, "AWS::ApiGatewayV2::Route") {
		if !slices.Contains(deps, any(id)) {
			t.Errorf("the stage does not wait for route %v", props(route)["RouteKey"])
		}
	}
}

// TestThrottlesAndTenantLimitsComeFromContext: the ingest routes and /v1 have throttles of
// their own, from context parameters; the tenant limits reach the api function's
// environment from context too.
func TestThrottlesAndTenantLimitsComeFromContext(t *testing.T) {
	doc := synthWithContext(t, map[string]any{
		"ingestThrottleRate": "321", "ingestThrottleBurst": 654.0, "apiThrottleRate": "12.5", "apiThrottleBurst": "25",
		"apiRatePerSecond": "7", "subscriptionQuota": 9.0, "connectionQuota": "4",
		"replaysPerMinute": "11", "recoversPerMinute": "3", "testEventsPerMinute": "5",
	})
	checkThrottles(t, doc, 321, 654, 12.5, 25)
	env := functionEnv(t, doc, "api")
	for k, v := range map[string]string{
		"WEDSYNC_RATE_API_PER_SECOND": "7", "WEDSYNC_QUOTA_SUBSCRIPTIONS": "9", "WEDSYNC_QUOTA_CONNECTIONS": "4",
		"WEDSYNC_RATE_REPLAYS_PER_MINUTE": "11", "WEDSYNC_RATE_RECOVERS_PER_MINUTE": "3", "WEDSYNC_RATE_TEST_EVENTS_PER_MINUTE": "5",
	} {
		if env[k] != v {
			t.Errorf("api %s = %v, want %s from context", k, env[k], v)
		}
	}
	for k := range functionEnv(t, doc, "ingest-stripe") {
		if strings.HasPrefix(k, "WEDSYNC_RATE_") || strings.HasPrefix(k, "WEDSYNC_QUOTA_") {
			t.Errorf("an ingest function has the tenants' limit %s", k)
		}
	}
}

// TestDefaultThrottlesAndLimits: without context, ingest keeps the stack's throttle, /v1
// gets a lower one of its own, and the api function the documented tenant limits.
func TestDefaultThrottlesAndLimits(t *testing.T) {
	_, _, doc := defaultStack(t)
	checkThrottles(t, doc, 500, 1000, stack.DefaultAPIThrottleRate, stack.DefaultAPIThrottleBurst)
	env := functionEnv(t, doc, "api")
	for k, v := range api.DefaultLimits.Env() {
		if env[k] != v {
			t.Errorf("api %s = %v, want the default %s", k, env[k], v)
		}
	}
}

// TestBadLimitContextIsRefused: every parameter that is not a positive number (or not an
// integer where one is needed) is named.
func TestBadLimitContextIsRefused(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		"apiThrottleRate": "fast", "subscriptionQuota": "2.5", "connectionQuota": "-1", "replaysPerMinute": "8",
	}})
	_, err := stack.LimitsFromContext(app, stack.Props{})
	for _, key := range []string{"apiThrottleRate", "subscriptionQuota", "connectionQuota"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s is not named: %v", key, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "replaysPerMinute") {
		t.Errorf("a good parameter is named: %v", err)
	}
}

// TestAlarmTopicKeyLetsCloudWatchPublish: the alarm topic's key policy lets
// cloudwatch.amazonaws.com decrypt and generate data keys (else alarms never arrive), and
// that key is not the tables' key.
func TestAlarmTopicKeyLetsCloudWatchPublish(t *testing.T) {
	built, _, doc := defaultStack(t)
	topics := resourcesOf(doc, "AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d topics", len(topics))
	}
	for _, topic := range topics {
		keyRefs := refs(props(topic)["KmsMasterKeyId"])
		if len(keyRefs) != 1 {
			t.Fatalf("the alarm topic's key is %v", props(topic)["KmsMasterKeyId"])
		}
		if keyRefs[0] == logicalID(built.Stack, built.DataKey) {
			t.Error("the alarm topic uses the tables' key")
		}
		key, ok := resourcesOf(doc, "AWS::KMS::Key")[keyRefs[0]]
		if !ok {
			t.Fatalf("the alarm topic's key %s is not a key of the stack", keyRefs[0])
		}
		found := false
		for _, s := range asList(props(key)["KeyPolicy"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			principal, _ := st["Principal"].(map[string]any)
			actions := map[string]bool{}
			for _, a := range asList(st["Action"]) {
				actions[a.(string)] = true
			}
			if st["Effect"] == "Allow" && slices.Contains(asList(principal["Service"]), any("cloudwatch.amazonaws.com")) &&
				actions["kms:Decrypt"] && (actions["kms:GenerateDataKey*"] || actions["kms:GenerateDataKey"]) {
				found = true
			}
		}
		if !found {
			t.Errorf("the alarm topic's key policy does not let CloudWatch use it: %v", props(key)["KeyPolicy"])
		}
	}
}

// TestNoSecretInFunctionEnvironments: no function's environment holds a secret value or a
// {{resolve:…}} reference (to Secrets Manager or SSM), nor refers to a secret resource; the
// api finds its cursor key by the id of an HMAC KMS key, which only the /v1 functions may
// use, and only for kms:GenerateMac.
func TestNoSecretInFunctionEnvironments(t *testing.T) {
	_, _, doc := defaultStack(t)
	secretTypes := map[string]bool{"AWS::SecretsManager::Secret": true, "AWS::SSM::Parameter": true}
	resources := doc["Resources"].(map[string]any)
	secretish := regexp.MustCompile(`SECRET|PASSWORD|TOKEN|CREDENTIAL|PRIVATE`)
	functions := resourcesOf(doc, "AWS::Lambda::Function")
	if len(functions) != len(topology.Default().Functions) {
		t.Fatalf("%d functions", len(functions))
	}
	for id, fn := range functions {
		env, _ := props(fn)["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			raw, _ := json.Marshal(v)
			if strings.Contains(string(raw), "{{resolve:") {
				t.Errorf("%s: %s is a dynamic reference: %s", id, k, raw)
			}
			if secretish.MatchString(k) && !strings.HasSuffix(k, "_TABLE") {
				t.Errorf("%s: %s names a secret", id, k)
			}
			for _, ref := range refs(v) {
				if r, ok := resources[ref].(map[string]any); ok && secretTypes[r["Type"].(string)] {
					t.Errorf("%s: %s refers to the secret %s", id, k, ref)
				}
			}
		}
	}
	keys := resourcesOf(doc, "AWS::KMS::Key")
	cursorRefs := refs(functionEnv(t, doc, "api")["WEDSYNC_CURSOR_KEY_ID"])
	if len(cursorRefs) != 1 || props(keys[cursorRefs[0]])["KeySpec"] != "HMAC_256" || props(keys[cursorRefs[0]])["KeyUsage"] != "GENERATE_VERIFY_MAC" {
		t.Fatalf("WEDSYNC_CURSOR_KEY_ID is not an HMAC key: %v", functionEnv(t, doc, "api")["WEDSYNC_CURSOR_KEY_ID"])
	}
	for id, p := range resourcesOf(doc, "AWS::IAM::Policy") {
		for _, s := range asList(props(p)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			for _, a := range asList(st["Action"]) {
				if strings.HasPrefix(a.(string), "secretsmanager:") || strings.HasPrefix(a.(string), "ssm:") {
					t.Errorf("policy %s grants %s", id, a)
				}
				if slices.Contains(refs(st["Resource"]), cursorRefs[0]) && a != "kms:GenerateMac" {
					t.Errorf("policy %s grants %s on the cursor key", id, a)
				}
			}
		}
	}
}
