package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// ConnectionStore loads connections.
type ConnectionStore interface {
	Get(ctx context.Context, id string) (store.Connection, error)
}

// Resolved is a connection with its secrets opened.
type Resolved struct {
	Connection  store.Connection
	Credentials inbound.Credentials
}

// ConnectionCache resolves connections and keeps them for TTL, so a warm function verifies
// without reading the connections table. A TTL of 0 disables caching. The opened secret
// sets are kept apart, by their sealed value, for SecretTTL: reading a connection again
// costs no KMS call unless its secrets changed.
type ConnectionCache struct {
	Store  ConnectionStore
	Sealer secrets.Sealer
	TTL    time.Duration
	// SecretTTL is how long an opened secret set is kept; 0 means secrets.DefaultCacheTTL
	// and a negative value no caching.
	SecretTTL time.Duration
	Now       func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
	opened  secrets.Cache
}

type cacheEntry struct {
	resolved Resolved
	expires  time.Time
}

// Resolve returns the connection id with the secrets valid now, opened. A connection that does not exist is
// inbound.ErrConnectionNotFound.
func (c *ConnectionCache) Resolve(ctx context.Context, id string) (Resolved, error) {
	now := c.Now()
	if c.TTL > 0 {
		c.mu.Lock()
		e, ok := c.entries[id]
		c.mu.Unlock()
		if ok && now.Before(e.expires) {
			return e.resolved, nil
		}
	}
	conn, err := c.Store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Resolved{}, fmt.Errorf("%w: %.64q", inbound.ErrConnectionNotFound, id)
	}
	if err != nil {
		return Resolved{}, err
	}
	ttl := c.SecretTTL
	if ttl == 0 {
		ttl = secrets.DefaultCacheTTL
	}
	set, err := c.opened.Open(ctx, c.Sealer, secrets.Scope{TenantID: conn.TenantID, ResourceID: conn.ID}, conn.SealedSecrets, now, ttl)
	if err != nil {
		return Resolved{}, fmt.Errorf("open secrets of connection %s: %w", conn.ID, err)
	}
	r := Resolved{Connection: conn, Credentials: inbound.Credentials{Secrets: set.Secrets(now), URL: conn.Config["url"]}}
	if c.TTL > 0 {
		c.mu.Lock()
		if c.entries == nil {
			c.entries = make(map[string]cacheEntry)
		}
		c.entries[id] = cacheEntry{resolved: r, expires: now.Add(c.TTL)}
		c.mu.Unlock()
	}
	return r, nil
}
