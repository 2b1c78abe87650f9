package stdwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// SecretPrefix starts every secret in its textual form.
const SecretPrefix = "whsec_"

// Tolerance is how far a webhook-timestamp may be from now, either way.
const Tolerance = 5 * time.Minute

// Header names of the scheme.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// ErrInvalidSecret means a secret is not "whsec_" followed by base64.
var ErrInvalidSecret = errors.New("secret is not whsec_ followed by base64")

// DecodeSecret returns the signing key of a "whsec_<base64>" secret.
func DecodeSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrInvalidSecret
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// Sign returns the "v1,<base64>" signature of body sent as message id at ts.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	mac := compute(key, id, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac[:])
}

func compute(key []byte, id, ts string, body []byte) [sha256.Size]byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	var mac [sha256.Size]byte
	h.Sum(mac[:0])
	return mac
}

// Verify checks the three headers against body with each of keys and returns the signed
// timestamp. Errors wrap inbound's sentinels: a header absent or without a v1 signature is
// ErrMissingSignature; a timestamp outside tolerance is ErrStaleTimestamp (checked before
// the HMAC); an unparsable timestamp or no matching signature is ErrInvalidSignature.
func Verify(id, timestamp, signature string, body []byte, keys [][]byte, now time.Time, tolerance time.Duration) (time.Time, error) {
	if id == "" || timestamp == "" || strings.TrimSpace(signature) == "" {
		return time.Time{}, fmt.Errorf("%w: webhook-id, webhook-timestamp and webhook-signature are required", inbound.ErrMissingSignature)
	}
	var sigs [][sha256.Size]byte
	haveV1 := false
	for entry := range strings.FieldsSeq(signature) {
		version, value, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		haveV1 = true
		var buf [48]byte
		if base64.StdEncoding.DecodedLen(len(value)) > len(buf) {
			continue
		}
		n, err := base64.StdEncoding.Decode(buf[:], []byte(value))
		if err != nil || n != sha256.Size {
			continue
		}
		sigs = append(sigs, [sha256.Size]byte(buf[:sha256.Size]))
	}
	if !haveV1 {
		return time.Time{}, fmt.Errorf("%w: no v1 signature in webhook-signature", inbound.ErrMissingSignature)
	}
	unix, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: webhook-timestamp is not a Unix time", inbound.ErrInvalidSignature)
	}
	signedAt := time.Unix(unix, 0).UTC()
	if d := now.Sub(signedAt); d > tolerance || d < -tolerance {
		return time.Time{}, inbound.ErrStaleTimestamp
	}
	for _, key := range keys {
		mac := compute(key, id, timestamp, body)
		for i := range sigs {
			if hmac.Equal(mac[:], sigs[i][:]) {
				return signedAt, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: no signature matches", inbound.ErrInvalidSignature)
}
