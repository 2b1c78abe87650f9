package stripe

import (
	"context"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Kind is the connection kind and route segment of Stripe.
const Kind = "stripe"

// Tolerance is how far Stripe's signed timestamp may be from now.
const Tolerance = 300 * time.Second

// SignatureHeader is the lower-cased name of Stripe's signature header.
const SignatureHeader = "stripe-signature"

// Provider verifies and normalizes Stripe webhooks.
type Provider struct{}

var _ inbound.Provider = Provider{}

// Kind returns "stripe".
func (Provider) Kind() string { return Kind }

// Format returns JSON.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatJSON }

var scheme = inbound.TimestampedScheme{Header: SignatureHeader, Tolerance: Tolerance}

// Verify checks Stripe-Signature against the raw body with each endpoint secret, exactly as
// Stripe gave it (whsec_… used as the key bytes).
func (Provider) Verify(_ context.Context, req *inbound.Request, creds inbound.Credentials, now time.Time) (inbound.Verified, error) {
	return scheme.Verify(req, creds, now)
}
