package custom

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

var (
	_ inbound.Sender = Provider{}
	_ inbound.Seeder = Provider{}
)

// Sample is the testdata event make send posts by default.
func (Provider) Sample() string { return "booking.created" }

// NewSecret returns a fresh Standard Webhooks secret (whsec_…), as we issue one.
func (Provider) NewSecret() string {
	return inbound.RandomKey(stdwebhooks.SecretPrefix, base64.StdEncoding)
}

// Sign is what a Standard Webhooks sender sends: the body with webhook-id msgID,
// webhook-timestamp at and webhook-signature made with the whsec_ secret.
func (Provider) Sign(ingestURL, secret, msgID string, body []byte, at time.Time) (string, map[string]string, error) {
	key, err := stdwebhooks.DecodeSecret(secret)
	if err != nil {
		return "", nil, err
	}
	return ingestURL, map[string]string{"content-type": "application/json", stdwebhooks.HeaderID: msgID,
		stdwebhooks.HeaderTimestamp: strconv.FormatInt(at.Unix(), 10),
		stdwebhooks.HeaderSignature: stdwebhooks.Sign(key, msgID, at, body)}, nil
}
