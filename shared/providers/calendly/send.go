package calendly

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
func (Provider) Sample() string { return "invitee.created" }

// NewSecret returns a fresh signing key.
func (Provider) NewSecret() string {
	return inbound.RandomKey("", base64.RawURLEncoding)
}

// Sign is what Calendly sends: the body with Calendly-Webhook-Signature made with the signing
// key at at.
func (Provider) Sign(ingestURL, secret, _ string, body []byte, at time.Time) (string, map[string]string, error) {
	return ingestURL, map[string]string{"content-type": "application/json; charset=utf-8",
		SignatureHeader: inbound.SignTimestampedHMAC(secret, body, at)}, nil
}
