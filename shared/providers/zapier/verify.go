package zapier

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Kind is the connection kind and route segment of Zapier.
const Kind = "zapier"

// Provider verifies and normalizes Zapier requests.
type Provider struct{}

var _ inbound.Provider = Provider{}

// Kind returns "zapier".
func (Provider) Kind() string { return Kind }

// Format returns JSON.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatJSON }

// Verify compares the presented token (Authorization: Bearer, else X-Api-Key) with each
// connection secret in constant time; hashing first keeps lengths from leaking too.
func (Provider) Verify(_ context.Context, req *inbound.Request, creds inbound.Credentials, _ time.Time) (inbound.Verified, error) {
	token, ok := strings.CutPrefix(req.Header["authorization"], "Bearer ")
	if !ok || token == "" {
		token = req.Header["x-api-key"]
	}
	if strings.TrimSpace(token) == "" {
		return inbound.Verified{}, fmt.Errorf("%w: send Authorization: Bearer <secret> or X-Api-Key", inbound.ErrMissingSignature)
	}
	presented := sha256.Sum256([]byte(token))
	match := 0
	for _, s := range creds.Secrets {
		want := sha256.Sum256([]byte(s))
		match |= subtle.ConstantTimeCompare(presented[:], want[:])
	}
	if match != 1 {
		return inbound.Verified{}, fmt.Errorf("%w: the token does not match", inbound.ErrInvalidSignature)
	}
	return inbound.Verified{}, nil
}
