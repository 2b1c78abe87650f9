package delivery

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/wedsync/webhooks/shared/secrets"
)

// maxCachedSecrets bounds the secret sets one container keeps open.
const maxCachedSecrets = 1024

// secretCache keeps the subscriptions' opened secret sets, so a warm container signs
// without a KMS call. Entries are keyed by the scope and the sealed value itself: a rotated
// secret is a new sealed value, hence a miss, and is used by the very next delivery.
type secretCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]secretEntry
}

type secretEntry struct {
	set    secrets.Set
	opened time.Time
}

// open returns the set sealed in sealed, opening it with sealer unless it was opened less
// than ttl ago; a ttl of 0 or less keeps nothing.
func (c *secretCache) open(ctx context.Context, sealer secrets.Sealer, scope secrets.Scope, sealed string, now time.Time, ttl time.Duration) (secrets.Set, error) {
	if ttl <= 0 {
		return secrets.OpenSet(ctx, sealer, scope, sealed)
	}
	key := sha256.Sum256([]byte(scope.TenantID + "\x00" + scope.ResourceID + "\x00" + sealed))
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && !now.Before(e.opened) && now.Sub(e.opened) < ttl {
		return e.set, nil
	}
	set, err := secrets.OpenSet(ctx, sealer, scope, sealed)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[[sha256.Size]byte]secretEntry)
	}
	if len(c.entries) >= maxCachedSecrets {
		c.evict(now, ttl)
	}
	c.entries[key] = secretEntry{set: set, opened: now}
	return set, nil
}

// evict drops the expired entries, or the oldest when none has expired.
func (c *secretCache) evict(now time.Time, ttl time.Duration) {
	var oldest [sha256.Size]byte
	var oldestAt time.Time
	dropped := false
	for k, e := range c.entries {
		if now.Sub(e.opened) >= ttl || now.Before(e.opened) {
			delete(c.entries, k)
			dropped = true
			continue
		}
		if oldestAt.IsZero() || e.opened.Before(oldestAt) {
			oldest, oldestAt = k, e.opened
		}
	}
	if !dropped {
		delete(c.entries, oldest)
	}
}
