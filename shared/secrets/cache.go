package secrets

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultCacheTTL is how long an opened set is kept unless the caller says otherwise.
const DefaultCacheTTL = 10 * time.Minute

// MaxCached bounds the sets one Cache keeps open.
const MaxCached = 1024

// Cache keeps opened secret sets so a warm container verifies or signs without a KMS call.
// Entries are keyed by the scope and the sealed value itself: a rotated set is a new sealed
// value, hence a miss, so the very next use after a rotation sees it whatever the TTL. The
// callers that miss on one key at once share one opening. The zero value is ready to use.
type Cache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cacheEntry
	opening map[[sha256.Size]byte]*opening
}

type cacheEntry struct {
	set    Set
	opened time.Time
}

// opening is one Open under way, which the callers that miss on its key wait for.
type opening struct {
	done chan struct{}
	set  Set
	err  error
}

// Open returns the set sealed in sealed, opening it with sealer unless it was opened less
// than ttl ago; a ttl of 0 or less keeps nothing.
func (c *Cache) Open(ctx context.Context, sealer Sealer, scope Scope, sealed string, now time.Time, ttl time.Duration) (Set, error) {
	if ttl <= 0 {
		return OpenSet(ctx, sealer, scope, sealed)
	}
	key := sha256.Sum256([]byte(scope.TenantID + "\x00" + scope.ResourceID + "\x00" + sealed))
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && fresh(now.Sub(e.opened), ttl) {
		c.mu.Unlock()
		return e.set, nil
	}
	if o, ok := c.opening[key]; ok {
		c.mu.Unlock()
		select {
		case <-o.done:
			return o.set, o.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	o := &opening{done: make(chan struct{})}
	if c.opening == nil {
		c.opening = map[[sha256.Size]byte]*opening{}
	}
	c.opening[key] = o
	c.mu.Unlock()

	o.set, o.err = OpenSet(ctx, sealer, scope, sealed)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.opening, key)
	close(o.done)
	if o.err != nil {
		return nil, o.err
	}
	if c.entries == nil {
		c.entries = make(map[[sha256.Size]byte]cacheEntry)
	}
	if len(c.entries) >= MaxCached {
		c.evict(now, ttl)
	}
	c.entries[key] = cacheEntry{set: o.set, opened: now}
	return o.set, nil
}

// evict drops the expired entries, or the oldest when none has expired.
func (c *Cache) evict(now time.Time, ttl time.Duration) {
	var oldest [sha256.Size]byte
	var oldestAt time.Time
	dropped := false
	for k, e := range c.entries {
		if !fresh(now.Sub(e.opened), ttl) {
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

// fresh tells whether an entry of that age is still good. The callers' clocks are read
// before their calls reach the cache, so a set opened for one run may look a little younger
// than another's now: an age below zero is fresh too, within ttl.
func fresh(age, ttl time.Duration) bool { return age < ttl && age > -ttl }
