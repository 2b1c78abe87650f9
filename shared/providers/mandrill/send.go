package mandrill

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
func (Provider) Sample() string { return "events" }

// NewSecret returns a fresh webhook key.
func (Provider) NewSecret() string {
	return inbound.RandomKey("", base64.RawURLEncoding)
}

// Sign is what Mandrill sends: the form with X-Mandrill-Signature over the URL as registered
// (the ingest URL) and the form's fields.
func (Provider) Sign(ingestURL, secret, _ string, body []byte, _ time.Time) (string, map[string]string, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, err
	}
	return ingestURL, map[string]string{"content-type": "application/x-www-form-urlencoded",
		SignatureHeader: Sign(secret, ingestURL, form)}, nil
}
