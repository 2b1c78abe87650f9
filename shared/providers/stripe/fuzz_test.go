package stripe_test

import (
	"context"
	"testing"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/stripe"
)

// FuzzVerify: any header and body either verify or fail with a signature sentinel; never a
// panic, never another error.
func FuzzVerify(f *testing.F) {
	body := fixture(f, "payment_intent.succeeded")
	f.Add(signed(body, secret, now), body)
	f.Add("t=1764064800,v1=,v1=00,v0=ff", []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		req := &inbound.Request{Header: map[string]string{stripe.SignatureHeader: header}, Body: body}
		_, err := stripe.Provider{}.Verify(context.Background(), req, inbound.Credentials{Secrets: []string{secret}}, now)
		if err != nil && !isSignatureError(err) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

// FuzzNormalize: any body normalizes or fails with a body sentinel.
func FuzzNormalize(f *testing.F) {
	for _, name := range []string{"payment_intent.succeeded", "charge.refunded", "checkout.session.completed", "customer.created"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := stripe.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			if !isBodyError(err) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if len(got) != 1 || got[0].DedupeKey == "" || got[0].Type == "" {
			t.Fatalf("accepted an event without a key or type: %+v", got)
		}
	})
}
