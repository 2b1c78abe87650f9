// Command ops is the operator's side of `make deploy`, against the AWS account of your
// credentials: `preflight` checks that the environment is bootstrapped for the CDK (and
// prints the `cdk bootstrap` command when it is not), `deployed` prints what a deploy made
// (the API's base URL, each provider's ingest URL pattern, how to create the first tenant),
// and `tenant` creates a tenant and its first API key in the deployed stack.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wedsync/webhooks/shared/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ops:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: ops preflight | deployed -outputs <file> | tenant -name <name> [-outputs <file>]")
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := emulator.Root(wd)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "preflight":
		return preflight(ctx, root, os.Stdout)
	case "deployed":
		return deployed(root, args[1:], os.Stdout)
	case "tenant":
		return tenant(ctx, root, args[1:], os.Stdout)
	default:
		return fmt.Errorf("unknown command %q (preflight, deployed, tenant)", args[0])
	}
}
