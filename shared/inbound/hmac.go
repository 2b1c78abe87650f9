package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// VerifyTimestampedHMAC checks a "t=<unix>,v1=<hex>[,v1=<hex>…]" header, the scheme of
// Stripe and Calendly: HMAC-SHA256(secret, t + "." + body), hex. Any v1 signature made with
// any of secrets is accepted; other parts (v0, unknown keys) are ignored. The timestamp must
// lie within tolerance of now, in either direction, and is checked before any HMAC.
// It returns the signed timestamp.
func VerifyTimestampedHMAC(header string, body []byte, secrets []string, now time.Time, tolerance time.Duration) (time.Time, error) {
	if strings.TrimSpace(header) == "" {
		return time.Time{}, ErrMissingSignature
	}
	var (
		ts      string
		sigs    [][sha256.Size]byte
		haveSig bool
	)
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return time.Time{}, fmt.Errorf("%w: malformed header part", ErrInvalidSignature)
		}
		switch key {
		case "t":
			ts = value
		case "v1":
			haveSig = true
			var sig [sha256.Size]byte
			if hex.DecodedLen(len(value)) != len(sig) {
				continue
			}
			if _, err := hex.Decode(sig[:], []byte(value)); err != nil {
				continue
			}
			sigs = append(sigs, sig)
		}
	}
	if !haveSig {
		return time.Time{}, fmt.Errorf("%w: no v1 signature in header", ErrMissingSignature)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: header has no valid timestamp", ErrInvalidSignature)
	}
	signedAt := time.Unix(unix, 0).UTC()
	if d := now.Sub(signedAt); d > tolerance || d < -tolerance {
		return time.Time{}, ErrStaleTimestamp
	}
	var mac [sha256.Size]byte
	for _, secret := range secrets {
		h := hmac.New(sha256.New, []byte(secret))
		h.Write([]byte(ts))
		h.Write([]byte{'.'})
		h.Write(body)
		h.Sum(mac[:0])
		for i := range sigs {
			if hmac.Equal(mac[:], sigs[i][:]) {
				return signedAt, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: no signature matches", ErrInvalidSignature)
}

// SignTimestampedHMAC is the header value VerifyTimestampedHMAC accepts: "t=<unix>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>" (Stripe's and Calendly's scheme).
func SignTimestampedHMAC(secret string, body []byte, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// TimestampedScheme is one provider's use of the "t=…,v1=…" scheme: its header and its
// tolerance.
type TimestampedScheme struct {
	Header    string
	Tolerance time.Duration
}

// Verify checks req's header against its raw body with the connection's secrets.
func (s TimestampedScheme) Verify(req *Request, creds Credentials, now time.Time) (Verified, error) {
	ts, err := VerifyTimestampedHMAC(req.Header[s.Header], req.Body, creds.Secrets, now, s.Tolerance)
	if err != nil {
		return Verified{}, err
	}
	return Verified{Timestamp: ts}, nil
}
