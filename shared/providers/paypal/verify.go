package paypal

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Kind is the connection kind and route segment of PayPal.
const Kind = "paypal"

// AuthAlgo is the only signature algorithm accepted.
const AuthAlgo = "SHA256withRSA"

// Header names, lower-cased.
const (
	HeaderTransmissionID   = "paypal-transmission-id"
	HeaderTransmissionTime = "paypal-transmission-time"
	HeaderTransmissionSig  = "paypal-transmission-sig"
	HeaderCertURL          = "paypal-cert-url"
	HeaderAuthAlgo         = "paypal-auth-algo"
)

// The window of paypal-transmission-time. PayPal retries a webhook for up to 3 days with
// the transmission time of its first attempt, so a request signed up to MaxAge ago is
// accepted; one signed more than MaxSkew in the future is not. Both bounds are checked
// before any certificate is fetched.
const (
	MaxAge  = 72 * time.Hour
	MaxSkew = 5 * time.Minute
)

// Provider verifies and normalizes PayPal webhooks. PayPal shares no secret: a
// connection's credential is its PayPal webhook id, part of the signed message.
type Provider struct {
	Certs *Certs
}

var _ inbound.Provider = Provider{}

// New returns the provider with production certificate hosts and the system roots.
func New() Provider { return Provider{Certs: &Certs{Hosts: ProductionCertHosts}} }

// Kind returns "paypal".
func (Provider) Kind() string { return Kind }

// Format returns JSON.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatJSON }

// SignedMessage is what PayPal signs: transmission id, time, webhook id and the body's
// CRC32 (decimal), joined by "|".
func SignedMessage(transmissionID, transmissionTime, webhookID string, body []byte) string {
	return transmissionID + "|" + transmissionTime + "|" + webhookID + "|" + strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
}

// Verify checks the transmission signature with the certificate at paypal-cert-url
// for each of the connection's webhook ids. Headers, the transmission time's window and the
// certificate URL are checked before anything is fetched; the fetch uses ctx.
func (p Provider) Verify(ctx context.Context, req *inbound.Request, creds inbound.Credentials, now time.Time) (inbound.Verified, error) {
	h := req.Header
	id, ts, sig, certURL, algo := h[HeaderTransmissionID], h[HeaderTransmissionTime], h[HeaderTransmissionSig], h[HeaderCertURL], h[HeaderAuthAlgo]
	if id == "" || ts == "" || sig == "" || certURL == "" || algo == "" {
		return inbound.Verified{}, fmt.Errorf("%w: the paypal-transmission-* headers are required", inbound.ErrMissingSignature)
	}
	if algo != AuthAlgo {
		return inbound.Verified{}, fmt.Errorf("%w: paypal-auth-algo must be %s", inbound.ErrInvalidSignature, AuthAlgo)
	}
	sentAt, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return inbound.Verified{}, fmt.Errorf("%w: paypal-transmission-time is not an RFC 3339 time", inbound.ErrInvalidSignature)
	}
	if age := now.Sub(sentAt); age > MaxAge || age < -MaxSkew {
		return inbound.Verified{}, fmt.Errorf("%w: paypal-transmission-time must lie between %s before and %s after now", inbound.ErrStaleTimestamp, MaxAge, MaxSkew)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return inbound.Verified{}, fmt.Errorf("%w: paypal-transmission-sig is not base64", inbound.ErrInvalidSignature)
	}
	certs := p.Certs
	if certs == nil {
		certs = New().Certs
	}
	leaf, err := certs.Leaf(ctx, certURL, now)
	if errors.Is(err, inbound.ErrVerificationUnavailable) {
		return inbound.Verified{}, err
	}
	if err != nil {
		return inbound.Verified{}, fmt.Errorf("%w: %v", inbound.ErrInvalidSignature, err)
	}
	key, ok := leaf.PublicKey.(*rsa.PublicKey)
	if !ok {
		return inbound.Verified{}, fmt.Errorf("%w: the certificate's key is not RSA", inbound.ErrInvalidSignature)
	}
	for _, webhookID := range creds.Secrets {
		digest := sha256.Sum256([]byte(SignedMessage(id, ts, webhookID, req.Body)))
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], raw) == nil {
			return inbound.Verified{Timestamp: sentAt.UTC()}, nil
		}
	}
	return inbound.Verified{}, fmt.Errorf("%w: no webhook id verifies the signature", inbound.ErrInvalidSignature)
}
