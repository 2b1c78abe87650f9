package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// keyView is an API key as ops shows it: never the key, but once when issued.
type keyView struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"tenant_id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Key       string     `json:"key,omitempty"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// keyStatus is a key's status, "disabled" while its tenant is.
func keyStatus(k store.APIKey, now time.Time) string {
	if s := k.Status(now); s != store.KeyActive || k.TenantDisabledAt.IsZero() {
		return s
	}
	return store.TenantDisabled
}

func viewKey(k store.APIKey, now time.Time) keyView {
	v := keyView{ID: k.ID, TenantID: k.TenantID, Name: k.Name, Prefix: k.Prefix, Status: keyStatus(k, now), CreatedAt: k.CreatedAt}
	if !k.ExpiresAt.IsZero() {
		v.ExpiresAt = &k.ExpiresAt
	}
	if !k.RevokedAt.IsZero() {
		v.RevokedAt = &k.RevokedAt
	}
	return v
}

func keyIssue() verb {
	return verb{name: "key issue", summary: "Issue an API key to a tenant; the key is shown once (only its SHA-256 is kept).",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			tenant := fs.String("tenant", "", "the tenant's id (required)")
			name := fs.String("name", "issued by the operator", "what the key is for")
			expires := fs.String("expires", "", "when the key stops working (RFC 3339); never when empty")
			return func(e *runEnv) error {
				if err := required("tenant", *tenant); err != nil {
					return err
				}
				var expiresAt time.Time
				if *expires != "" {
					var err error
					if expiresAt, err = time.Parse(time.RFC3339, *expires); err != nil || !expiresAt.After(e.now()) {
						return fmt.Errorf("%w: --expires must be a time in the future, RFC 3339", ErrUsage)
					}
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				owner, err := tenants(t).Get(e.ctx, *tenant)
				if err != nil {
					return err
				}
				if owner.Status != store.TenantActive {
					return fmt.Errorf("tenant %s: %w (tenant enable first)", *tenant, ErrTenantDisabled)
				}
				k, secret, err := store.NewKey(rand.Reader, store.APIKey{TenantID: owner.ID, TenantName: owner.Name, Name: *name,
					CreatedAt: e.now().UTC().Truncate(time.Millisecond), ExpiresAt: expiresAt.UTC()})
				if err != nil {
					return err
				}
				view := viewKey(k, e.now())
				if e.dryRun {
					view.ID, view.Prefix = "", ""
				} else {
					if err := apiKeys(t).Put(e.ctx, k); err != nil {
						return err
					}
					view.Key = secret
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"api_key": view, "dry_run": e.dryRun})
				}
				if e.dryRun {
					e.say("dry run: would issue an API key to tenant %s (%s) in %s", owner.ID, owner.Name, t.Name)
					return nil
				}
				e.say("API key %s issued to tenant %s (%s)", k.ID, owner.ID, owner.Name)
				e.say("  %s   (shown once; only its SHA-256 is stored)", secret)
				if t.APIURL != "" {
					e.say("try: curl -sS %s/v1/connections -H 'authorization: Bearer %s'", t.APIURL, secret)
				}
				return nil
			}
		}}
}

func keyList() verb {
	return verb{name: "key list", summary: "List a tenant's API keys: ids, prefixes and status, never the keys.",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			tenant := fs.String("tenant", "", "the tenant's id (required)")
			return func(e *runEnv) error {
				if err := required("tenant", *tenant); err != nil {
					return err
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				var list []keyView
				cursor := ""
				for {
					page, err := apiKeys(t).ListByTenant(e.ctx, *tenant, cursor, 100)
					if err != nil {
						return err
					}
					for _, k := range page.Items {
						list = append(list, viewKey(k, e.now()))
					}
					if cursor = page.Next; cursor == "" {
						break
					}
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"api_keys": nonNil(list)})
				}
				e.say("%d API key(s) of tenant %s", len(list), *tenant)
				for _, k := range list {
					e.say("  %-24s %-14s %-9s %s  %s", k.ID, k.Prefix+"…", k.Status, k.CreatedAt.Format(time.RFC3339), k.Name)
				}
				return nil
			}
		}}
}

func keyRevoke() verb {
	return verb{name: "key revoke", summary: "Revoke a tenant's API key: refused from the next request on (keys are not cached).",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			tenant := fs.String("tenant", "", "the tenant's id (required)")
			id := fs.String("key", "", "the key's id, key_… (required)")
			return func(e *runEnv) error {
				for flag, v := range map[string]string{"tenant": *tenant, "key": *id} {
					if err := required(flag, v); err != nil {
						return err
					}
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				var k store.APIKey
				if e.dryRun {
					k, err = findKey(e, t, *tenant, *id)
				} else {
					k, err = apiKeys(t).Revoke(e.ctx, *tenant, *id, e.now().UTC())
				}
				if err != nil {
					return err
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"api_key": viewKey(k, e.now()), "dry_run": e.dryRun})
				}
				if e.dryRun {
					e.say("dry run: would revoke API key %s (%s…) of tenant %s", k.ID, k.Prefix, *tenant)
					return nil
				}
				e.say("API key %s (%s…) of tenant %s revoked: refused from now on", k.ID, k.Prefix, *tenant)
				return nil
			}
		}}
}

// findKey finds a tenant's key by id.
func findKey(e *runEnv, t *Target, tenant, id string) (store.APIKey, error) {
	cursor := ""
	for {
		page, err := apiKeys(t).ListByTenant(e.ctx, tenant, cursor, 100)
		if err != nil {
			return store.APIKey{}, err
		}
		for _, k := range page.Items {
			if k.ID == id {
				return k, nil
			}
		}
		if cursor = page.Next; cursor == "" {
			return store.APIKey{}, fmt.Errorf("API key %s of tenant %s: %w", id, tenant, store.ErrNotFound)
		}
	}
}
