// Command devstack runs and drives the local stack: `dev` starts it (make dev), `send` posts
// a signed sample event (make send), `invoke` runs one invocation under the RIE (make
// invoke), `events` regenerates events/ (make events), `tail` lists recent events, `dlq`
// shows a dead-letter queue, `coldstart` measures cold starts, `load` runs make load and
// make chaos, `cost` runs make cost, `functions` lists the topology's functions, and `smoke`
// checks a stack, local or deployed, end to end (make smoke).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "dev"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
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
	switch cmd {
	case "dev":
		return dev(ctx, root)
	case "functions":
		return functions()
	case "send":
		return send(ctx, root, args)
	case "invoke":
		return invoke(ctx, root, args)
	case "events":
		return regenerateEvents(root, args)
	case "tail":
		return tail(ctx, root, args)
	case "dlq":
		return dlq(ctx, root, args)
	case "coldstart":
		return coldstart(ctx, root, args)
	case "tenant":
		return tenant(ctx, root, args)
	case "smoke":
		return runSmoke(ctx, root, args)
	case "load":
		return load(ctx, root, args)
	case "cost":
		return costRun(ctx, root, args)
	default:
		return fmt.Errorf("unknown command %q (dev, functions, send, invoke, events, tail, dlq, coldstart, tenant, smoke, load, cost)", cmd)
	}
}

func dev(ctx context.Context, root string) error {
	cfg, err := local.ConfigFromEnv(root)
	if err != nil {
		return err
	}
	fmt.Println("devstack: building the functions and starting the emulators…")
	stack, err := local.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer stack.Stop()
	printBanner(os.Stdout, stack.State())
	<-ctx.Done()
	fmt.Println("\ndevstack: stopping…")
	return nil
}
