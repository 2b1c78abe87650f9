package calendly

import (
	"context"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Kind is the connection kind and route segment of Calendly.
const Kind = "calendly"

// Tolerance is how far Calendly's signed timestamp may be from now.
const Tolerance = 180 * time.Second

// SignatureHeader is the lower-cased name of Calendly's signature header.
const SignatureHeader = "calendly-webhook-signature"

// Provider verifies and normalizes Calendly webhooks.
type Provider struct{}

var _ inbound.Provider = Provider{}

// Kind returns "calendly".
func (Provider) Kind() string { return Kind }

// Format returns JSON.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatJSON }

var scheme = inbound.TimestampedScheme{Header: SignatureHeader, Tolerance: Tolerance}

// Verify checks Calendly-Webhook-Signature ("t=…,v1=…") with the webhook signing key.
func (Provider) Verify(_ context.Context, req *inbound.Request, creds inbound.Credentials, now time.Time) (inbound.Verified, error) {
	return scheme.Verify(req, creds, now)
}
