package mailchimp

import (
	"encoding/base64"
	"net/url"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

var (
	_ inbound.Sender = Provider{}
	_ inbound.Seeder = Provider{}
)

// Sample is the testdata event make send posts by default.
func (Provider) Sample() string { return "subscribe" }

// NewSecret returns a fresh URL key (32 random bytes, base64url), as we issue one.
func (Provider) NewSecret() string {
	return inbound.RandomKey("", base64.RawURLEncoding)
}

// Sign is what Mailchimp sends: the form to the callback URL, which carries ?key=.
func (Provider) Sign(ingestURL, secret, _ string, _ []byte, _ time.Time) (string, map[string]string, error) {
	return ingestURL + "?key=" + url.QueryEscape(secret), map[string]string{"content-type": "application/x-www-form-urlencoded"}, nil
}
