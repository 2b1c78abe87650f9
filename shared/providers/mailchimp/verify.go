package mailchimp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Kind is the connection kind and route segment of Mailchimp.
const Kind = "mailchimp"

// Provider verifies and normalizes Mailchimp webhooks.
type Provider struct{}

var (
	_ inbound.Provider = Provider{}
	_ inbound.Prober   = Provider{}
)

// Kind returns "mailchimp".
func (Provider) Kind() string { return Kind }

// Format returns form-encoded.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatForm }

// ProbeMethod is GET: Mailchimp checks a webhook URL with a GET before saving it.
func (Provider) ProbeMethod() string { return http.MethodGet }

// Verify compares the URL's key with each connection key in constant time.
func (Provider) Verify(_ context.Context, req *inbound.Request, creds inbound.Credentials, _ time.Time) (inbound.Verified, error) {
	key := req.Query["key"]
	if key == "" {
		return inbound.Verified{}, fmt.Errorf("%w: the webhook URL has no ?key=", inbound.ErrMissingSignature)
	}
	presented := sha256.Sum256([]byte(key))
	match := 0
	for _, s := range creds.Secrets {
		want := sha256.Sum256([]byte(s))
		match |= subtle.ConstantTimeCompare(presented[:], want[:])
	}
	if match != 1 {
		return inbound.Verified{}, fmt.Errorf("%w: the key does not match", inbound.ErrInvalidSignature)
	}
	return inbound.Verified{}, nil
}
