package stripe

import (
	"encoding/base64"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

var (
	_ inbound.Sender = Provider{}
	_ inbound.Seeder = Provider{}
)

// Sample is the testdata event make send posts by default.
func (Provider) Sample() string { return "payment_intent.succeeded" }

// NewSecret returns a fresh endpoint secret as Stripe shows one (whsec_…).
func (Provider) NewSecret() string {
	return inbound.RandomKey("whsec_", base64.StdEncoding)
}

// Sign is what Stripe sends: the body with Stripe-Signature made with secret at at.
func (Provider) Sign(ingestURL, secret, _ string, body []byte, at time.Time) (string, map[string]string, error) {
	return ingestURL, map[string]string{"content-type": "application/json; charset=utf-8",
		SignatureHeader: inbound.SignTimestampedHMAC(secret, body, at)}, nil
}
