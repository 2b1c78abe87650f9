package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// tenant creates a tenant in the running stack and prints its API key, once.
func tenant(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("tenant", flag.ContinueOnError)
	name := fs.String("name", "", "the tenant's name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return fmt.Errorf("usage: make tenant NAME=<name>")
	}
	st, err := runningState(root)
	if err != nil {
		return err
	}
	id, err := store.NewTenantID(rand.Reader, *name)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	k, key, err := store.NewKey(rand.Reader, store.APIKey{TenantID: id, TenantName: *name, Name: "make tenant", CreatedAt: now})
	if err != nil {
		return err
	}
	db, _ := clients(st)
	if err := (&store.Tenants{DB: db, Table: st.Tables[topology.TableTenants]}).Create(ctx, store.Tenant{ID: id, Name: *name, Status: store.TenantActive, CreatedAt: now}); err != nil {
		return err
	}
	if err := (&store.APIKeys{DB: db, Table: st.Tables[topology.TableAPIKeys]}).Put(ctx, k); err != nil {
		return err
	}
	fmt.Printf("tenant %s (%s)\nAPI key %s (%s)  (shown once; only its SHA-256 is stored)\n", id, *name, key, k.ID)
	fmt.Printf("try: curl -sS %s/v1/connections -H 'authorization: Bearer %s'\n", st.URL, key)
	return nil
}
