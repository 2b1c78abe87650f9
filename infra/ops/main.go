// Command ops is the operator's command, against a deployed stack (with your AWS
// credentials; the stack found by --stack and --stage) or the local stack (--stage local):
// tenants and their API keys, the dead-letter queues (show, redrive all or only some
// messages), a contact's erasure and the retention in force. Every verb takes --dry-run,
// --json and --help. `preflight` and `deployed` are make deploy's own steps: the CDK
// bootstrap check and the summary of what a deploy made.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wedsync/webhooks/shared/emulator"
)

func main() {
	wd, err := os.Getwd()
	if err == nil {
		var root string
		if root, err = emulator.Root(wd); err == nil {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			err = run(ctx, root, os.Args[1:], os.Stdout, os.Stderr)
			stop()
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ops:", err)
		os.Exit(1)
	}
}

// verbs are every operator action, by name.
func verbs() []verb {
	return []verb{
		tenantCreate(), tenantList(), tenantDisable(), tenantEnable(),
		keyIssue(), keyList(), keyRevoke(),
		dlqShow(), dlqRedrive(),
		eraseContact(),
		retentionShow(),
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: go run ./infra/ops <verb> --stage <stage> [flags]   (or make ops ARGS=\"<verb> --stage <stage> …\")")
	fmt.Fprintln(w, "\nverbs (each takes --stack, --stage, --dry-run, --json and --help):")
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-16s %s\n", v.name, strings.SplitN(v.summary, "\n", 2)[0])
	}
	fmt.Fprintln(w, "\nmake deploy's steps: preflight (CDK bootstrap check), deployed -outputs <file> (what a deploy made)")
}

// run runs the command line args.
func run(ctx context.Context, root string, args []string, out, errw io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(errw)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	switch args[0] {
	case "preflight":
		return preflight(ctx, root, out)
	case "deployed":
		return deployed(root, args[1:], out)
	}
	return execute(ctx, args, out, errw, func(c *common) (*Target, error) { return resolve(ctx, root, c) }, time.Now, time.Second)
}

// execute runs the verb args name, finding its stack with find (once, when it needs one),
// reading the time from now and polling every tick while it waits.
func execute(ctx context.Context, args []string, out, errw io.Writer, find func(*common) (*Target, error), now func() time.Time, tick time.Duration) error {
	for _, v := range verbs() {
		name := strings.Fields(v.name)
		if len(args) < len(name) || strings.Join(args[:len(name)], " ") != v.name {
			continue
		}
		_, c, do, err := v.parse(args[len(name):], errw)
		if err != nil {
			return err
		}
		env := &runEnv{ctx: ctx, common: *c, out: out, errw: errw, tick: tick, now: now}
		var target *Target
		env.target = func() (*Target, error) {
			if target != nil {
				return target, nil
			}
			t, err := find(c)
			target = t
			return t, err
		}
		return do(env)
	}
	usage(errw)
	return fmt.Errorf("%w: unknown verb %q", ErrUsage, strings.Join(args[:min(2, len(args))], " "))
}
