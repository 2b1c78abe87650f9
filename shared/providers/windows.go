package providers

import (
	"time"

	"github.com/wedsync/webhooks/shared/providers/calendly"
	"github.com/wedsync/webhooks/shared/providers/custom"
	"github.com/wedsync/webhooks/shared/providers/mailchimp"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/providers/paypal"
	"github.com/wedsync/webhooks/shared/providers/stripe"
	"github.com/wedsync/webhooks/shared/providers/zapier"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// Unbounded is the replay window of a provider that signs no timestamp: the same request
// verifies forever, so the stored event (its dedupe key) is all that stops a replay, and
// only for the retention period.
const Unbounded time.Duration = -1

// ReplayWindows is, for each provider, how long a signed request stays acceptable after the
// first moment it could be received: the tolerance behind now plus the skew ahead of it. A
// dedupe key kept for less would let a replay in as a new event.
func ReplayWindows() map[string]time.Duration {
	return map[string]time.Duration{
		stripe.Kind:    2 * stripe.Tolerance,
		calendly.Kind:  2 * calendly.Tolerance,
		custom.Kind:    2 * stdwebhooks.Tolerance,
		paypal.Kind:    paypal.MaxAge + paypal.MaxSkew,
		mailchimp.Kind: Unbounded,
		mandrill.Kind:  Unbounded,
		zapier.Kind:    Unbounded,
	}
}

// LongestReplayWindow is the longest bounded replay window: events (and so dedupe keys)
// must be kept at least this long.
func LongestReplayWindow() time.Duration {
	var longest time.Duration
	for _, w := range ReplayWindows() {
		longest = max(longest, w)
	}
	return longest
}
