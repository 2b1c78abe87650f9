package custom

import (
	"context"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// Kind is the connection kind and route segment of custom senders.
const Kind = "custom"

// Provider verifies and normalizes custom senders' webhooks.
type Provider struct{}

var _ inbound.Provider = Provider{}

// Kind returns "custom".
func (Provider) Kind() string { return Kind }

// Format returns JSON.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatJSON }

// Verify checks the Standard Webhooks headers with each of the connection's whsec_ secrets.
func (Provider) Verify(_ context.Context, req *inbound.Request, creds inbound.Credentials, now time.Time) (inbound.Verified, error) {
	keys := make([][]byte, 0, len(creds.Secrets))
	for _, s := range creds.Secrets {
		key, err := stdwebhooks.DecodeSecret(s)
		if err != nil {
			return inbound.Verified{}, fmt.Errorf("connection secret: %w", err)
		}
		keys = append(keys, key)
	}
	ts, err := stdwebhooks.Verify(
		req.Header[stdwebhooks.HeaderID], req.Header[stdwebhooks.HeaderTimestamp], req.Header[stdwebhooks.HeaderSignature],
		req.Body, keys, now, stdwebhooks.Tolerance)
	if err != nil {
		return inbound.Verified{}, err
	}
	return inbound.Verified{Timestamp: ts}, nil
}
