package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/topology"
)

// Errors of the app's context: each answers one line and a non-zero exit.
var (
	// ErrMissingContext means a context parameter the stack needs is absent or empty.
	ErrMissingContext = errors.New("missing context")
	// ErrRefusedStage means the stage is one the app never deploys.
	ErrRefusedStage = errors.New("refused stage")
	// ErrBadContext means a context parameter has a value the app cannot use.
	ErrBadContext = errors.New("bad context")
)

// cliContextEnv is set by the CDK CLI, with cdk.json's context and -c key=value in it.
const cliContextEnv = "CDK_CONTEXT_JSON"

// cdkJSONContext is cdk.json's context when no CLI passed it (`go run ./infra`), so both ways
// synthesize the same template; under the CLI it is nil.
func cdkJSONContext(root string) (map[string]any, error) {
	if _, ok := os.LookupEnv(cliContextEnv); ok {
		return nil, nil
	}
	path := filepath.Join(root, "cdk.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read cdk.json: %v", ErrMissingContext, err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("%w: %s is not JSON: %v", ErrBadContext, path, err)
	}
	return file.Context, nil
}

// propsFromContext reads the documented context parameters (cdk.json or -c key=value).
func propsFromContext(app awscdk.App) (stack.Props, error) {
	get := func(key string) string {
		switch v := app.Node().TryGetContext(jsii.String(key)).(type) {
		case string:
			return strings.TrimSpace(v)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(v)
		}
		return ""
	}
	p := stack.Props{
		StackProps: awscdk.StackProps{
			Description: jsii.String("WedSync Webhooks: verified webhook ingest, normalized events, signed deliveries"),
		},
		Stage:      get("stage"),
		AlarmEmail: get("alarmEmail"),
	}
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" {
		p.StackProps.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	switch p.Stage {
	case "":
		return p, fmt.Errorf(`%w: "stage" is not set: set it in cdk.json or pass -c stage=<name>`, ErrMissingContext)
	case "local", "test":
		return p, fmt.Errorf("%w: stage %q is reserved for the local stack and tests: pass -c stage=<another name>", ErrRefusedStage, p.Stage)
	}
	if v := get("retentionDays"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 {
			return p, fmt.Errorf("%w: retentionDays=%q is not a number of days", ErrBadContext, v)
		}
		p.RetentionDays = days
		if err := stack.CheckRetention(days); err != nil {
			return p, fmt.Errorf("%w: %v", ErrBadContext, err)
		}
	}
	if v := get("corsOrigins"); v != "" {
		p.CorsOrigins = strings.Split(v, ",")
	}
	var err error
	if p.Memory, err = perFunction(get("memory")); err != nil {
		return p, fmt.Errorf("%w: memory: %v", ErrBadContext, err)
	}
	if p.ReservedConcurrency, err = perFunction(get("reservedConcurrency")); err != nil {
		return p, fmt.Errorf("%w: reservedConcurrency: %v", ErrBadContext, err)
	}
	if p.LogLevels, err = stack.ParseLogLevels(get("logLevel"), topology.Default().Names()); err != nil {
		return p, fmt.Errorf("%w: logLevel: %v", ErrBadContext, err)
	}
	return p, nil
}

// perFunction parses "api=512,deliver=1024".
func perFunction(v string) (map[string]int, error) {
	out := map[string]int{}
	if v == "" {
		return out, nil
	}
	for _, pair := range strings.Split(v, ",") {
		name, num, ok := strings.Cut(pair, "=")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not function=number", pair)
		}
		out[strings.TrimSpace(name)] = n
	}
	return out, nil
}
