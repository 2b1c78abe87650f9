package secrets_test

import (
	"slices"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/secrets"
)

// TestSetKeepsAtMostMaxSecrets: rotating again and again within the overlap keeps the newest
// MaxSecrets secrets; the oldest stop verifying at once, before their 24 hours are up.
func TestSetKeepsAtMostMaxSecrets(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	set := secrets.Set{{Secret: "s0"}}
	for i := 1; i <= 5; i++ {
		set = set.Rotate("s"+string(rune('0'+i)), now.Add(time.Duration(i)*time.Minute))
		if len(set) > secrets.MaxSecrets {
			t.Fatalf("after rotation %d the set holds %d secrets", i, len(set))
		}
	}
	at := now.Add(10 * time.Minute)
	if got := set.Secrets(at); !slices.Equal(got, []string{"s5", "s4", "s3"}) {
		t.Fatalf("after five rotations in five minutes: %v, want the newest %d", got, secrets.MaxSecrets)
	}
	if !set[1].Until.Equal(now.Add(5*time.Minute+secrets.Overlap)) || !set[2].Until.Equal(now.Add(4*time.Minute+secrets.Overlap)) {
		t.Fatalf("the kept secrets' overlaps moved: %+v", set)
	}
	tooMany := secrets.Set{{Secret: "a"}, {Secret: "b", Until: at.Add(time.Hour)}, {Secret: "c", Until: at.Add(time.Hour)}, {Secret: "d", Until: at.Add(time.Hour)}}
	if got := tooMany.Rotate("new", at).Secrets(at); !slices.Equal(got, []string{"new", "a", "b"}) {
		t.Fatalf("a set stored over the bound is cut on its next rotation: %v", got)
	}
}
