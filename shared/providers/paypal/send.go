package paypal

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/wedsync/webhooks/shared/inbound"
)

var _ inbound.Seeder = Provider{}

// Sample is the testdata event make send posts by default.
func (Provider) Sample() string { return "PAYMENT.CAPTURE.COMPLETED" }

// NewSecret returns a fresh webhook id of the shape PayPal shows (PayPal signs with its
// certificate; the local stack signs with its own test CA, see testca).
func (Provider) NewSecret() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "WH-DEV-" + strings.ToUpper(hex.EncodeToString(b))
}
