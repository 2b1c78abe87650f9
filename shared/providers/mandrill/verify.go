package mandrill

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Kind is the connection kind and route segment of Mandrill.
const Kind = "mandrill"

// SignatureHeader is the lower-cased name of Mandrill's signature header.
const SignatureHeader = "x-mandrill-signature"

// Provider verifies and normalizes Mandrill webhooks.
type Provider struct{}

var (
	_ inbound.Provider = Provider{}
	_ inbound.Prober   = Provider{}
	_ inbound.Batcher  = Provider{}
)

// Kind returns "mandrill".
func (Provider) Kind() string { return Kind }

// Format returns form-encoded.
func (Provider) Format() inbound.BodyFormat { return inbound.FormatForm }

// ProbeMethod is HEAD: Mandrill checks a webhook URL with a HEAD before saving it.
func (Provider) ProbeMethod() string { return http.MethodHead }

// Batched: one request carries up to 1,000 events.
func (Provider) Batched() bool { return true }

// Sign is Mandrill's signature of form posted to rawURL with key: base64 of HMAC-SHA1 over
// the URL followed by each field's name and value, names sorted, no separators.
func Sign(key, rawURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	sort.Strings(names)
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(rawURL))
	for _, name := range names {
		for _, v := range form[name] {
			mac.Write([]byte(name))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks X-Mandrill-Signature with each webhook key against the URL exactly as
// stored on the connection.
func (Provider) Verify(_ context.Context, req *inbound.Request, creds inbound.Credentials, _ time.Time) (inbound.Verified, error) {
	got := req.Header[SignatureHeader]
	if got == "" {
		return inbound.Verified{}, fmt.Errorf("%w: no X-Mandrill-Signature", inbound.ErrMissingSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(got)
	if err != nil || len(sig) != sha1.Size {
		return inbound.Verified{}, fmt.Errorf("%w: X-Mandrill-Signature is not base64 of 20 bytes", inbound.ErrInvalidSignature)
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return inbound.Verified{}, fmt.Errorf("%w: the signed body is not form-encoded", inbound.ErrInvalidSignature)
	}
	for _, key := range creds.Secrets {
		want, _ := base64.StdEncoding.DecodeString(Sign(key, creds.URL, form))
		if hmac.Equal(want, sig) {
			return inbound.Verified{}, nil
		}
	}
	return inbound.Verified{}, fmt.Errorf("%w: no signature matches", inbound.ErrInvalidSignature)
}
