package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

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
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(*name), "-"), "-")
	if len(slug) > 24 {
		slug = slug[:24]
	}
	id := "t_" + slug + "_" + randomHex(4)
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	key := "wsk_" + base64.RawURLEncoding.EncodeToString(b)
	db, _ := clients(st)
	if err := (&store.Tenants{DB: db, Table: st.Tables[topology.TableTenants]}).Create(ctx, store.Tenant{ID: id, Name: *name, CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	keys := &store.APIKeys{DB: db, Table: st.Tables[topology.TableAPIKeys]}
	if err := keys.Put(ctx, store.APIKey{Hash: store.HashKey(key), TenantID: id, TenantName: *name, CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Printf("tenant %s (%s)\nAPI key %s  (shown once; only its SHA-256 is stored)\n", id, *name, key)
	fmt.Printf("try: curl -sS %s/v1/connections -H 'authorization: Bearer %s'\n", st.URL, key)
	return nil
}
