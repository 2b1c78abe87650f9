package commands

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// CredentialLister names a tenant's connections that have outbound credentials.
type CredentialLister interface {
	ListByTenant(ctx context.Context, tenantID string) ([]store.CredentialRef, error)
}

var _ CredentialLister = (*store.Credentials)(nil)

// Enqueuer queues an event's key (the commands queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, eventID string) error
}

// Kinds remembers, per tenant and for TTL, which providers it has credentials for, so a warm
// process pays at most one query per tenant and TTL. A TTL of 0 disables the cache.
type Kinds struct {
	Store CredentialLister
	TTL   time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	entries map[string]kindsEntry
}

type kindsEntry struct {
	kinds   map[string]bool
	expires time.Time
}

// Has reports whether the tenant has credentials for a connection of kind.
func (k *Kinds) Has(ctx context.Context, tenantID, kind string) (bool, error) {
	now := k.Now()
	k.mu.Lock()
	e, ok := k.entries[tenantID]
	k.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.kinds[kind], nil
	}
	refs, err := k.Store.ListByTenant(ctx, tenantID)
	if err != nil {
		return false, err
	}
	e = kindsEntry{kinds: map[string]bool{}, expires: now.Add(k.TTL)}
	for _, r := range refs {
		e.kinds[r.Kind] = true
	}
	if k.TTL > 0 {
		k.mu.Lock()
		if k.entries == nil {
			k.entries = map[string]kindsEntry{}
		}
		k.entries[tenantID] = e
		k.mu.Unlock()
	}
	return e.kinds[kind], nil
}

// Route is the process step that queues each command for act when its tenant can run it.
// Queueing twice is harmless: act runs a command once in effect.
type Route struct {
	Kinds *Kinds
	Queue Enqueuer
}

// Name names the step.
func (r *Route) Name() string { return "route-commands" }

// Apply queues ev for act when it is a command whose provider the tenant has credentials for.
func (r *Route) Apply(ctx context.Context, ev envelope.Envelope) error {
	kind, ok := ProviderOf(ev)
	if !ok {
		return nil
	}
	has, err := r.Kinds.Has(ctx, ev.TenantID, kind)
	if err != nil {
		return fmt.Errorf("route %s: %w", ev.ID, err)
	}
	if !has {
		return nil
	}
	return r.Queue.Enqueue(ctx, ev.ID)
}
