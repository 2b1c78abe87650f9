// Command infra is the CDK app: it synthesizes the WedSyncWebhooks stack from the
// topology. `make synth` runs it offline with CDK_OUTDIR=cdk.out; `make deploy` hands the
// same app to the CDK CLI.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		"aws:cdk:enable-path-metadata":  true,
		"aws:cdk:enable-asset-metadata": true,
	}})
	props, err := propsFromContext(app)
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(2)
	}
	built := stack.New(app, stack.Name, props)
	stack.Check(built.Stack)
	app.Synth(nil)
}

// propsFromContext reads the documented context parameters (cdk.json or -c key=value).
func propsFromContext(app awscdk.App) (stack.Props, error) {
	get := func(key string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok {
			return v
		}
		return ""
	}
	p := stack.Props{
		StackProps: awscdk.StackProps{
			Description: jsii.String("WedSync Webhooks: verified webhook ingest, normalized events, signed deliveries"),
			Env: &awscdk.Environment{
				Account: jsii.String(os.Getenv("CDK_DEFAULT_ACCOUNT")),
				Region:  jsii.String(os.Getenv("CDK_DEFAULT_REGION")),
			},
		},
		Stage:        get("stage"),
		AlarmEmail:   get("alarmEmail"),
		BootstrapDir: get("bootstrapDir"),
	}
	if p.StackProps.Env.Account == nil || *p.StackProps.Env.Account == "" {
		p.StackProps.Env = nil
	}
	if p.Stage == "local" || p.Stage == "test" {
		return p, fmt.Errorf("stage %q is reserved for the local stack and tests", p.Stage)
	}
	if v := get("retentionDays"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 {
			return p, fmt.Errorf("retentionDays=%q is not a number of days", v)
		}
		p.RetentionDays = days
		if err := stack.CheckRetention(days); err != nil {
			return p, err
		}
	}
	if v := get("corsOrigins"); v != "" {
		p.CorsOrigins = strings.Split(v, ",")
	}
	var err error
	if p.Memory, err = perFunction(get("memory")); err != nil {
		return p, fmt.Errorf("memory: %w", err)
	}
	if p.ReservedConcurrency, err = perFunction(get("reservedConcurrency")); err != nil {
		return p, fmt.Errorf("reservedConcurrency: %w", err)
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
