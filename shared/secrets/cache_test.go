package secrets_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/secrets"
)

// countingSealer opens plaintext sets, counting the openings; open blocks each one until
// released, so concurrent misses overlap.
type countingSealer struct {
	secrets.Plaintext
	opened  atomic.Int32
	release chan struct{}
}

func (c *countingSealer) Open(ctx context.Context, scope secrets.Scope, sealed string) (string, error) {
	c.opened.Add(1)
	<-c.release
	return c.Plaintext.Open(ctx, scope, sealed)
}

// TestCacheOpensOnceForConcurrentMisses: a batch of deliveries to one subscription that all
// miss at once costs one opening (one KMS call), not one each, and so does a run whose clock
// was read just before the opening; a new sealed value (a rotation) is opened again at once.
func TestCacheOpensOnceForConcurrentMisses(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	scope := secrets.Scope{TenantID: "t1", ResourceID: "sub_1"}
	sealer := &countingSealer{release: make(chan struct{})}
	sealed, err := secrets.SealSet(ctx, secrets.Plaintext{}, scope, secrets.Set{{Secret: "first"}})
	if err != nil {
		t.Fatal(err)
	}
	var cache secrets.Cache
	var started, done sync.WaitGroup
	started.Add(10)
	for range 10 {
		done.Go(func() {
			started.Done()
			set, err := cache.Open(ctx, sealer, scope, sealed, now, time.Minute)
			if err != nil || set.Secrets(now)[0] != "first" {
				t.Errorf("open: %v, %v", set, err)
			}
		})
	}
	started.Wait()
	close(sealer.release)
	done.Wait()
	if n := sealer.opened.Load(); n != 1 {
		t.Fatalf("10 concurrent misses opened the set %d times, want 1", n)
	}
	rotated, err := secrets.SealSet(ctx, secrets.Plaintext{}, scope, secrets.Set{{Secret: "second"}, {Secret: "first", Until: now.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := cache.Open(ctx, sealer, scope, rotated, now, time.Minute)
	if err != nil || len(set.Secrets(now)) != 2 || sealer.opened.Load() != 2 {
		t.Fatalf("the rotated set: %v, %v, opened %d times in all", set, err, sealer.opened.Load())
	}
	if _, err := cache.Open(ctx, sealer, scope, rotated, now.Add(-time.Second), time.Minute); err != nil || sealer.opened.Load() != 2 {
		t.Fatalf("a run whose clock was read before the opening should find the set: %v, opened %d times", err, sealer.opened.Load())
	}
	if _, err := cache.Open(ctx, sealer, scope, rotated, now.Add(time.Minute), time.Minute); err != nil || sealer.opened.Load() != 3 {
		t.Fatalf("after its TTL the set is opened again: %v, opened %d times", err, sealer.opened.Load())
	}
}
