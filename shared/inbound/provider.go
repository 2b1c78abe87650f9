package inbound

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"time"
)

// BodyFormat is the media type family a provider posts.
type BodyFormat int

// Body formats.
const (
	FormatJSON BodyFormat = iota
	FormatForm
)

// Request is an incoming webhook as a provider sees it: the decoded raw body and
// lower-cased header names.
type Request struct {
	Method string
	Header map[string]string
	Query  map[string]string
	Body   []byte
}

// Credentials are what a connection holds to verify its provider's requests. Secrets lists
// every currently valid secret (several during a rotation).
type Credentials struct {
	Secrets []string
	// URL is the connection's URL exactly as registered with the provider (Mandrill signs it).
	URL string
}

// Verified is what a successful verification learned about the request.
type Verified struct {
	// Timestamp is the signed timestamp, zero when the scheme has none.
	Timestamp time.Time
}

// Parsed is one provider event normalized to the canonical catalog, not yet enveloped.
type Parsed struct {
	// DedupeKey identifies the provider's event within a connection.
	DedupeKey       string
	ProviderEventID string
	ProviderType    string
	Type            string
	// Time is when the event happened; zero means "use the receipt time".
	Time time.Time
	// Data is the canonical data object, JSON.
	Data json.RawMessage
	// Raw is the provider's own bytes of this event when the request carries several;
	// nil means the whole body.
	Raw []byte
}

// Provider verifies and normalizes one provider's webhooks. Implementations are pure:
// bytes, headers and a clock in, events out.
type Provider interface {
	// Kind is the connection kind and the route segment, e.g. "stripe".
	Kind() string
	// Format is the body format the provider posts.
	Format() BodyFormat
	// Verify authenticates req against the connection's credentials at time now. ctx is the
	// request's: verification that leaves the process (PayPal fetches its certificate) stops
	// when the request is cancelled or times out.
	Verify(ctx context.Context, req *Request, creds Credentials, now time.Time) (Verified, error)
	// Normalize turns a verified request into one or more events.
	Normalize(req *Request, v Verified) ([]Parsed, error)
}

// Sender is implemented by providers whose requests the local stack makes as the provider
// would (make send, the sample events, make load): Sign returns where the provider posts
// body for a connection with this ingest URL and secret, and the headers it sends, signed at
// at. msgID is the message id of schemes that sign one (Standard Webhooks).
type Sender interface {
	Sign(ingestURL, secret, msgID string, body []byte, at time.Time) (target string, header map[string]string, err error)
}

// Seeder is implemented by providers the local stack seeds a connection of: Sample names
// the testdata event make send posts by default, NewSecret makes a secret of the kind the
// provider uses.
type Seeder interface {
	Sample() string
	NewSecret() string
}

// Prober is implemented by providers that check a URL with a bodyless request (Mailchimp's
// GET, Mandrill's HEAD): ingest answers those methods 200 once the connection exists.
type Prober interface {
	ProbeMethod() string
}

// Batcher is implemented by providers whose one request carries many events; ingest then
// answers with one entry per event.
type Batcher interface {
	Batched() bool
}

// RandomKey returns 32 random bytes in enc, after prefix: the shape of most providers'
// secrets (Seeder.NewSecret).
func RandomKey(prefix string, enc *base64.Encoding) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + enc.EncodeToString(b)
}
