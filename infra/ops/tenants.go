package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Tenant and key errors.
var (
	// ErrTenantDisabled means a key was asked for a disabled tenant.
	ErrTenantDisabled = errors.New("the tenant is disabled")
	// ErrMissingFlag means a verb lacks a flag it needs.
	ErrMissingFlag = errors.New("missing flag")
)

// tenantView is a tenant as ops shows it.
type tenantView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

func viewTenant(t store.Tenant) tenantView {
	v := tenantView{ID: t.ID, Name: t.Name, Status: t.Status, CreatedAt: t.CreatedAt}
	if !t.DisabledAt.IsZero() {
		v.DisabledAt = &t.DisabledAt
	}
	return v
}

func required(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("%w --%s", ErrMissingFlag, name)
	}
	return nil
}

func tenants(t *Target) *store.Tenants {
	return &store.Tenants{DB: t.DB, Table: t.table(topology.TableTenants)}
}

func apiKeys(t *Target) *store.APIKeys {
	return &store.APIKeys{DB: t.DB, Table: t.table(topology.TableAPIKeys)}
}

func tenantCreate() verb {
	return verb{name: "tenant create", summary: "Create a tenant (then issue its API key with key issue).",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			name := fs.String("name", "", "the tenant's name (required)")
			id := fs.String("id", "", "the tenant's id; made from the name when empty (give an existing tenant's id to add it to the tenants table)")
			return func(e *runEnv) error {
				if err := required("name", *name); err != nil {
					return err
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				tenant := store.Tenant{ID: *id, Name: strings.TrimSpace(*name), Status: store.TenantActive, CreatedAt: e.now().UTC().Truncate(time.Millisecond)}
				if tenant.ID == "" {
					if tenant.ID, err = store.NewTenantID(rand.Reader, tenant.Name); err != nil {
						return err
					}
				}
				if !e.dryRun {
					if err := tenants(t).Create(e.ctx, tenant); err != nil {
						return err
					}
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"tenant": viewTenant(tenant), "dry_run": e.dryRun})
				}
				if e.dryRun {
					e.say("dry run: would create tenant %s (%s) in %s", tenant.ID, tenant.Name, t.Name)
					return nil
				}
				e.say("tenant %s (%s) created in %s", tenant.ID, tenant.Name, t.Name)
				e.say("next: go run ./infra/ops key issue --stage %s --tenant %s --name \"first key\"", t.Stage, tenant.ID)
				return nil
			}
		}}
}

func tenantList() verb {
	return verb{name: "tenant list", summary: "List the tenants (a scan of the tenants table).",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			return func(e *runEnv) error {
				t, err := e.target()
				if err != nil {
					return err
				}
				var list []tenantView
				cursor := ""
				for {
					items, next, _, err := store.ScanPage(e.ctx, t.DB, &dynamodb.ScanInput{TableName: aws.String(t.table(topology.TableTenants))}, cursor)
					if err != nil {
						return err
					}
					for _, item := range items {
						list = append(list, viewTenant(store.TenantFromItem(item)))
					}
					if cursor = next; cursor == "" {
						break
					}
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"tenants": nonNil(list)})
				}
				e.say("%d tenant(s) in %s", len(list), t.Name)
				for _, v := range list {
					e.say("  %-40s %-9s %s  %s", v.ID, v.Status, v.CreatedAt.Format(time.RFC3339), v.Name)
				}
				return nil
			}
		}}
}

func tenantDisable() verb {
	return setTenant("tenant disable", store.TenantDisabled,
		"Disable a tenant: its API keys are refused at once and its ingest URLs answer 404 (within the connection cache's minute).")
}

func tenantEnable() verb {
	return setTenant("tenant enable", store.TenantActive, "Enable a disabled tenant again: its keys and ingest URLs work again.")
}

// setTenant moves a tenant to status and marks (or clears) its keys and connections.
func setTenant(name, status, summary string) verb {
	return verb{name: name, summary: summary,
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			id := fs.String("tenant", "", "the tenant's id (required)")
			return func(e *runEnv) error {
				if err := required("tenant", *id); err != nil {
					return err
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				tenant, err := tenants(t).Get(e.ctx, *id)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%w (a tenant made before the tenants table: add it with tenant create --id %s --name …)", err, *id)
				}
				if err != nil {
					return err
				}
				conns := &store.Connections{DB: t.DB, Table: t.table(topology.TableConnections)}
				var nKeys, nConns int
				at := e.now().UTC()
				if status == store.TenantActive {
					at = time.Time{}
				}
				if e.dryRun {
					nKeys, nConns, err = countOwned(e, t, *id)
				} else {
					if tenant, err = tenants(t).SetStatus(e.ctx, *id, status, at); err != nil {
						return err
					}
					nKeys, nConns, err = store.MarkTenantDisabled(e.ctx, apiKeys(t), conns, *id, at)
				}
				if err != nil {
					return err
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"tenant": viewTenant(tenant), "api_keys": nKeys, "connections": nConns, "dry_run": e.dryRun})
				}
				verbWord := map[string]string{store.TenantDisabled: "disabled", store.TenantActive: "enabled"}[status]
				if e.dryRun {
					e.say("dry run: would mark tenant %s %s, with its %d API key(s) and %d connection(s)", *id, verbWord, nKeys, nConns)
					return nil
				}
				e.say("tenant %s %s: %d API key(s) and %d connection(s) marked", *id, verbWord, nKeys, nConns)
				return nil
			}
		}}
}

// countOwned counts a tenant's keys and connections.
func countOwned(e *runEnv, t *Target, tenant string) (keys, conns int, err error) {
	keys, err = countPages(func(cursor string) (int, string, error) {
		p, err := apiKeys(t).ListByTenant(e.ctx, tenant, cursor, 100)
		return len(p.Items), p.Next, err
	})
	if err != nil {
		return 0, 0, err
	}
	conns, err = countPages(func(cursor string) (int, string, error) {
		p, err := (&store.Connections{DB: t.DB, Table: t.table(topology.TableConnections)}).ListByTenant(e.ctx, tenant, cursor, 100)
		return len(p.Items), p.Next, err
	})
	return keys, conns, err
}

// countPages adds up the items of every page list returns.
func countPages(list func(cursor string) (int, string, error)) (int, error) {
	total, cursor := 0, ""
	for {
		n, next, err := list(cursor)
		if err != nil {
			return 0, err
		}
		if total += n; next == "" {
			return total, nil
		}
		cursor = next
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
