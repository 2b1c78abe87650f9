// Command infra is the CDK app: it builds every function's bootstrap for Lambda, then
// synthesizes the WedSyncWebhooks stack from the topology. The CDK CLI runs it for `cdk synth`,
// `cdk diff` and `cdk deploy` (cdk.json); `CDK_OUTDIR=cdk.out go run ./infra` synthesizes the
// same template without the CLI. Whatever goes wrong, it says so on one line of stderr and
// exits non-zero.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/topology"
)

func main() {
	err := synth()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", firstLine(err.Error()))
		os.Exit(1)
	}
}

// synth builds the bootstraps and synthesizes the stack. A panic from the CDK (jsii) becomes
// an error, so a mistake never ends in a Go stack trace.
func synth() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := emulator.Root(wd)
	if err != nil {
		return err
	}
	fileContext, err := cdkJSONContext(root)
	if err != nil {
		return err
	}
	app := stack.NewApp(fileContext)
	props, err := propsFromContext(app)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	props.Spec = topology.Default()
	props.BootstrapDir = filepath.Join(root, "bin")
	if err := buildBootstraps(ctx, root, props.BootstrapDir, props.Spec.Names()); err != nil {
		return err
	}
	built, err := stack.New(app, stack.Name, props)
	if err != nil {
		return err
	}
	stack.Check(built.Stack)
	app.Synth(nil)
	return nil
}

// firstLine keeps a message to one line: jsii errors carry a JavaScript stack after it.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}
