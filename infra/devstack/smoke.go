package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wedsync/webhooks/infra/devstack/smoke"
	"github.com/wedsync/webhooks/infra/local"
)

// runSmoke checks a stack end to end: make smoke BASE_URL=… API_KEY=… [SECRET_<KIND>=…
// CONNECTION_<KIND>=…].
func runSmoke(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	baseURL := fs.String("base-url", "", "the stack's API base URL")
	apiKey := fs.String("api-key", "", "an API key of the tenant that owns the connections")
	within := fs.Duration("within", 30*time.Second, "how long an event may take to appear in /v1/events")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *baseURL == "" || *apiKey == "" {
		return errors.New("usage: make smoke BASE_URL=<the stack's URL> API_KEY=<a tenant's key> [SECRET_<KIND>=… CONNECTION_<KIND>=…]")
	}
	var running *local.State
	if st, err := local.ReadState(filepath.Join(root, ".dev")); err == nil {
		running = &st
	}
	conns, err := smoke.Connections(*baseURL, os.Getenv, running)
	if err != nil {
		return err
	}
	fmt.Printf("smoke: %d provider(s) against %s\n", len(conns), *baseURL)
	results, err := smoke.Run(ctx, smoke.Config{BaseURL: *baseURL, APIKey: *apiKey, Root: root, Connections: conns, Within: *within})
	for _, r := range results {
		fmt.Printf("  %-9s  %s  %s\n", r.Kind, r.EventID, r.Type)
	}
	if err != nil {
		return err
	}
	fmt.Printf("smoke: passed: %d event(s) listed in /v1/events with their normalized types\n", len(results))
	return nil
}
