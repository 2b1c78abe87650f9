package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/store"
)

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// tenant creates a tenant in the deployed stack and prints its first API key, once. The key
// goes straight to the API keys table (only its SHA-256 is stored), with your credentials,
// in the region of the stack's API.
func tenant(ctx context.Context, root string, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("tenant", flag.ContinueOnError)
	name := fs.String("name", "", "the tenant's name")
	path := fs.String("outputs", DefaultOutputs, "the outputs file cdk deploy wrote")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New(`usage: go run ./infra/ops tenant -name "<name>"`)
	}
	out, err := readOutputs(root, *path)
	if err != nil {
		return err
	}
	base, err := out.get("ApiUrl")
	if err != nil {
		return err
	}
	table, err := out.get("ApiKeysTableName")
	if err != nil {
		return err
	}
	cfg, err := awsenv.Load(ctx, awsenv.Settings{})
	if err != nil {
		return err
	}
	if r := apiRegion(base); r != "" {
		cfg.Region = r
	}
	id, key, err := newTenant(*name)
	if err != nil {
		return err
	}
	keys := &store.APIKeys{DB: awsenv.DynamoDB(cfg), Table: table}
	if err := keys.Put(ctx, store.APIKey{Hash: store.HashKey(key), TenantID: id, TenantName: *name, CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Fprintf(w, "tenant %s (%s)\nAPI key %s  (shown once; only its SHA-256 is stored)\n", id, *name, key)
	fmt.Fprintf(w, "try: curl -sS %s/v1/connections -H 'authorization: Bearer %s'\n", strings.TrimRight(base, "/"), key)
	return nil
}

// newTenant makes a tenant id from name and a fresh API key.
func newTenant(name string) (id, key string, err error) {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(slug) > 24 {
		slug = slug[:24]
	}
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	return "t_" + slug + "_" + hex.EncodeToString(b[32:]), "wsk_" + base64.RawURLEncoding.EncodeToString(b[:32]), nil
}
