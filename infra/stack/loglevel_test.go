package stack_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// TestEveryFunctionLogsJSONAtItsLevel: every function of the default stack writes JSON
// logs at INFO unless the context says otherwise.
func TestEveryFunctionLogsJSONAtItsLevel(t *testing.T) {
	_, tmpl, _ := defaultStack(t)
	for _, f := range topology.Default().Functions {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"FunctionName":  stack.Name + "-" + f.Name,
			"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO"},
		})
	}
}

// TestLogLevelPerFunction: the logLevel context sets one function's level and every other's.
func TestLogLevelPerFunction(t *testing.T) {
	testenv.SkipShort(t, "a CDK synth")
	spec := topology.Default()
	spec.Functions = spec.Functions[:2]
	dir := t.TempDir()
	for _, f := range spec.Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	levels, err := stack.ParseLogLevels("debug, "+spec.Functions[1].Name+"=warn", spec.Names())
	if err != nil {
		t.Fatal(err)
	}
	built, err := stack.New(stack.NewApp(nil), stack.Name, stack.Props{Spec: spec, BootstrapDir: dir, Stage: "prod", RetentionDays: 30, LogLevels: levels})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := assertions.Template_FromStack(built.Stack, nil)
	for name, level := range map[string]string{spec.Functions[0].Name: "DEBUG", spec.Functions[1].Name: "WARN"} {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"FunctionName":  stack.Name + "-" + name,
			"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": level},
		})
	}
}

// TestParseLogLevels: one level, per-function levels, and what is refused.
func TestParseLogLevels(t *testing.T) {
	t.Parallel()
	names := []string{"api", "deliver"}
	got, err := stack.ParseLogLevels("warn,deliver=DEBUG", names)
	if err != nil || stack.LogLevel(got, "deliver") != "DEBUG" || stack.LogLevel(got, "api") != "WARN" {
		t.Fatalf("got %v, %v", got, err)
	}
	if none, err := stack.ParseLogLevels("", names); err != nil || stack.LogLevel(none, "api") != stack.DefaultLogLevel {
		t.Fatalf("unset: %v, %v", none, err)
	}
	for _, bad := range []string{"LOUD", "deliver=VERBOSE", "nosuch=INFO"} {
		if _, err := stack.ParseLogLevels(bad, names); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
