package zapier

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
func (Provider) Sample() string { return "booking.updated" }

// NewSecret returns a fresh connection secret, as we issue one (zap_…).
func (Provider) NewSecret() string {
	return inbound.RandomKey("zap_", base64.RawURLEncoding)
}

// Sign is what a Zapier action sends: the body with the secret as a bearer token.
func (Provider) Sign(ingestURL, secret, _ string, _ []byte, _ time.Time) (string, map[string]string, error) {
	return ingestURL, map[string]string{"content-type": "application/json", "authorization": "Bearer " + secret}, nil
}
