package providers_test

import (
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/providers"
)

// TestEveryProviderHasAReplayWindow: adding a provider means saying how long its signed
// requests stay acceptable, so the retention check covers it.
func TestEveryProviderHasAReplayWindow(t *testing.T) {
	windows := providers.ReplayWindows()
	for kind := range providers.Registry() {
		w, ok := windows[kind]
		if !ok || (w <= 0 && w != providers.Unbounded) {
			t.Errorf("provider %s: replay window %v", kind, w)
		}
	}
	if len(windows) != len(providers.Registry()) {
		t.Errorf("%d windows for %d providers", len(windows), len(providers.Registry()))
	}
	if got := providers.LongestReplayWindow(); got != 72*time.Hour+5*time.Minute {
		t.Errorf("longest replay window %v, want PayPal's 72h5m", got)
	}
}
