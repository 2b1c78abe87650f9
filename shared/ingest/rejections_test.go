package ingest_test

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/ingest"
)

type rejection struct {
	name    string
	handler func(*pipeline) *ingest.Handler
	req     events.APIGatewayV2HTTPRequest
	status  int
	code    string
	// mentions are substrings the error message must contain.
	mentions []string
}

// checkRejections runs each case on one pipeline and asserts the status and code, that no
// secret is echoed, and that nothing was stored or queued.
func checkRejections(t *testing.T, p *pipeline, cases []rejection) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			a := invoke(t, tt.handler(p), tt.req)
			if a.status != tt.status || a.body.Success || a.body.Error.Code != tt.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.raw, tt.status, tt.code)
			}
			if a.body.Error.RequestID != "req-test" {
				t.Errorf("error lacks the request id: %s", a.raw)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(a.body.Error.Message, m) {
					t.Errorf("message %q does not mention %q", a.body.Error.Message, m)
				}
			}
			for _, secret := range []string{stripeSecret, customSecret, "whsec_other"} {
				if strings.Contains(a.raw, secret) {
					t.Fatalf("answer echoes a secret: %s", a.raw)
				}
			}
		})
	}
	if n := len(p.stored()); n != 0 {
		t.Fatalf("rejected requests stored %d events", n)
	}
	if n := len(p.drain()); n != 0 {
		t.Fatalf("rejected requests queued %d messages", n)
	}
}

// TestSignatureRejections: requests signed by the providers' own libraries, then spoiled.
func TestSignatureRejections(t *testing.T) {
	p := newPipeline(t, options{})
	sb := stripeFixture(t)
	tampered := bytes.Replace(sb, []byte("250000"), []byte("250001"), 1)
	cb := []byte(`{"type":"payment.received","data":{"payment_id":"p1","amount":1000,"currency":"GBP"}}`)
	ctampered := bytes.Replace(cb, []byte("1000"), []byte("1001"), 1)
	stripeReq := func(body []byte, h map[string]string) events.APIGatewayV2HTTPRequest {
		return request("POST", "stripe", "conn-stripe", h, body)
	}
	customReq := func(body []byte, h map[string]string) events.APIGatewayV2HTTPRequest {
		return request("POST", "custom", "conn-custom", h, body)
	}
	st := func(p *pipeline) *ingest.Handler { return p.stripe }
	cu := func(p *pipeline) *ingest.Handler { return p.custom }
	without := func(h map[string]string, key string) map[string]string {
		delete(h, key)
		return h
	}
	withValue := func(h map[string]string, key, v string) map[string]string {
		h[key] = v
		return h
	}
	checkRejections(t, p, []rejection{
		{"stripe/one body byte changed", st, stripeReq(tampered, stripeHeaders(sb, stripeSecret, now)), 401, "INVALID_SIGNATURE", nil},
		{"stripe/another secret", st, stripeReq(sb, stripeHeaders(sb, "whsec_other", now)), 401, "INVALID_SIGNATURE", nil},
		{"stripe/past the tolerance", st, stripeReq(sb, stripeHeaders(sb, stripeSecret, now.Add(-6*time.Minute))), 401, "STALE_TIMESTAMP", nil},
		{"stripe/malformed header", st, stripeReq(sb, withValue(stripeHeaders(sb, stripeSecret, now), "Stripe-Signature", "t=1,v1")), 401, "INVALID_SIGNATURE", nil},
		{"stripe/missing header", st, stripeReq(sb, without(stripeHeaders(sb, stripeSecret, now), "Stripe-Signature")), 401, "MISSING_SIGNATURE", nil},
		{"custom/one body byte changed", cu, customReq(ctampered, customHeaders(t, cb, customSecret, "m1", now)), 401, "INVALID_SIGNATURE", nil},
		{"custom/another secret", cu, customReq(cb, customHeaders(t, cb, "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=", "m1", now)), 401, "INVALID_SIGNATURE", nil},
		{"custom/past the tolerance", cu, customReq(cb, customHeaders(t, cb, customSecret, "m1", now.Add(-6*time.Minute))), 401, "STALE_TIMESTAMP", nil},
		{"custom/malformed header", cu, customReq(cb, withValue(customHeaders(t, cb, customSecret, "m1", now), "webhook-signature", "v1,@@@")), 401, "INVALID_SIGNATURE", nil},
		{"custom/missing header", cu, customReq(cb, without(customHeaders(t, cb, customSecret, "m1", now), "webhook-signature")), 401, "MISSING_SIGNATURE", nil},
	})
}

// TestBadInput: each malformed request gets its documented status and code.
func TestBadInput(t *testing.T) {
	p := newPipeline(t, options{})
	sb := stripeFixture(t)
	st := func(p *pipeline) *ingest.Handler { return p.stripe }
	cu := func(p *pipeline) *ingest.Handler { return p.custom }

	huge := bytes.Repeat([]byte(" "), ingest.MaxBodyBytes+1)
	b64 := request("POST", "stripe", "conn-stripe", stripeHeaders(huge, stripeSecret, now), nil)
	b64.Body, b64.IsBase64Encoded = base64.StdEncoding.EncodeToString(huge), true

	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 600<<10)
	for i := range noise {
		noise[i] = byte('a' + rng.IntN(26))
	}
	incompressible := []byte(`{"type":"booking.created","data":{"notes":"` + string(noise) + `"}}`)

	notJSON := []byte(`{"id": "evt_1", "type":`)
	unknown := []byte(`{"type":"wedding.happened","data":{}}`)
	wrongType := stripeHeaders(sb, stripeSecret, now)
	wrongType["Content-Type"] = "text/plain"
	noType := stripeHeaders(sb, stripeSecret, now)
	delete(noType, "Content-Type")

	checkRejections(t, p, []rejection{
		{"wrong method", st, request("GET", "stripe", "conn-stripe", nil, nil), 405, "METHOD_NOT_ALLOWED", nil},
		{"unknown connection", st, request("POST", "stripe", "conn-nope", stripeHeaders(sb, stripeSecret, now), sb), 404, "CONNECTION_NOT_FOUND", nil},
		{"disabled connection", st, request("POST", "stripe", "conn-disabled", stripeHeaders(sb, stripeSecret, now), sb), 404, "CONNECTION_NOT_FOUND", nil},
		{"connection of a disabled tenant", st, request("POST", "stripe", "conn-tenant-off", stripeHeaders(sb, stripeSecret, now), sb), 404, "CONNECTION_NOT_FOUND", nil},
		{"connection of another provider", st, request("POST", "stripe", "conn-custom", stripeHeaders(sb, stripeSecret, now), sb), 404, "CONNECTION_NOT_FOUND", nil},
		{"body over 1 MiB", st, request("POST", "stripe", "conn-stripe", stripeHeaders(huge, stripeSecret, now), huge), 413, "PAYLOAD_TOO_LARGE", nil},
		{"base64 body over 1 MiB", st, b64, 413, "PAYLOAD_TOO_LARGE", nil},
		{"gzip over 300 KiB", cu, request("POST", "custom", "conn-custom", customHeaders(t, incompressible, customSecret, "m-big", now), incompressible), 413, "PAYLOAD_TOO_LARGE", nil},
		{"wrong content type", st, request("POST", "stripe", "conn-stripe", wrongType, sb), 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"no content type", st, request("POST", "stripe", "conn-stripe", noType, sb), 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"malformed JSON", st, request("POST", "stripe", "conn-stripe", stripeHeaders(notJSON, stripeSecret, now), notJSON), 400, "INVALID_JSON", nil},
		{"custom type not canonical", cu, request("POST", "custom", "conn-custom", customHeaders(t, unknown, customSecret, "m-unknown", now), unknown), 400, "UNKNOWN_EVENT_TYPE",
			[]string{"booking.created", "payment.received", "form.submitted"}},
	})
}

// TestBase64Body: API Gateway's base64 bodies are verified against the decoded bytes.
func TestBase64Body(t *testing.T) {
	p := newPipeline(t, options{})
	body := stripeFixture(t)
	req := request("POST", "stripe", "conn-stripe", stripeHeaders(body, stripeSecret, now), nil)
	req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	if a := invoke(t, p.stripe, req); a.status != 200 {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	if n := len(p.drain()); n != 1 {
		t.Fatalf("queued %d, want 1", n)
	}
}

// TestWrongMethodNamesAllowed: 405 says which method to use.
func TestWrongMethodNamesAllowed(t *testing.T) {
	p := newPipeline(t, options{})
	resp, err := p.stripe.Handle(t.Context(), request("PUT", "stripe", "conn-stripe", nil, nil))
	if err != nil || resp.StatusCode != 405 || resp.Headers["allow"] != "POST" {
		t.Fatalf("got %+v, %v", resp, err)
	}
	if calls := p.rec.Total(); calls != 0 {
		t.Fatalf("a wrong method cost %d AWS calls, want 0", calls)
	}
}
