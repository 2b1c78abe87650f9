package providers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// harness is what the conformance suite needs to drive one provider: a secret, a way to
// sign a body, and bodies for each case.
type harness struct {
	secret, otherSecret string
	sign                func(t testing.TB, secret string, body []byte, at time.Time) map[string]string
	// tolerance is the scheme's timestamp tolerance; 0 when it has none.
	tolerance   time.Duration
	valid       []byte
	malformed   []byte
	unknownType []byte
	// unknownKept says unknown types become provider.unmapped rather than a 400.
	unknownKept bool
}

func stripeSign(_ testing.TB, secret string, body []byte, at time.Time) map[string]string {
	return map[string]string{"stripe-signature": providertest.StripeSignature(body, secret, at)}
}

func customSign(t testing.TB, secret string, body []byte, at time.Time) map[string]string {
	return providertest.StandardHeaders(t, secret, "msg_conformance", at, body)
}

var harnesses = map[string]harness{
	"stripe": {
		secret: "whsec_stripe_a", otherSecret: "whsec_stripe_b", sign: stripeSign, tolerance: 300 * time.Second,
		valid:       []byte(`{"id":"evt_1","object":"event","created":1,"type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":100,"currency":"usd"}}}`),
		malformed:   []byte(`{"id":"evt_1",`),
		unknownType: []byte(`{"id":"evt_2","object":"event","created":1,"type":"wedding.planned","data":{"object":{"id":"x"}}}`),
		unknownKept: true,
	},
	"custom": {
		secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", otherSecret: "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=",
		sign: customSign, tolerance: 300 * time.Second,
		valid:       []byte(`{"type":"booking.created","data":{"booking_id":"bk_1"}}`),
		malformed:   []byte(`{"type":`),
		unknownType: []byte(`{"type":"wedding.planned","data":{}}`),
	},
}

func TestConformance(t *testing.T) {
	for kind, p := range providers.Registry() {
		h, ok := harnesses[kind]
		if !ok {
			t.Errorf("provider %s has no conformance harness", kind)
			continue
		}
		creds := inbound.Credentials{Secrets: []string{h.secret}}
		run := func(body []byte, header map[string]string) ([]inbound.Parsed, error) {
			req := &inbound.Request{Method: "POST", Header: header, Body: body}
			v, err := p.Verify(req, creds, now)
			if err != nil {
				return nil, err
			}
			return p.Normalize(req, v)
		}
		t.Run(kind+"/valid", func(t *testing.T) {
			got, err := run(h.valid, h.sign(t, h.secret, h.valid, now))
			if err != nil || len(got) == 0 || got[0].DedupeKey == "" || !envelope.IsKnownType(got[0].Type) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run(kind+"/duplicate id yields the same event id", func(t *testing.T) {
			a, errA := run(h.valid, h.sign(t, h.secret, h.valid, now))
			b, errB := run(h.valid, h.sign(t, h.secret, h.valid, now.Add(-time.Second)))
			if errA != nil || errB != nil || envelope.EventID("c", a[0].DedupeKey) != envelope.EventID("c", b[0].DedupeKey) {
				t.Fatalf("redelivery changed the dedupe key: %v %v", errA, errB)
			}
		})
		t.Run(kind+"/bad signature", func(t *testing.T) {
			_, err := run(h.valid, h.sign(t, h.otherSecret, h.valid, now))
			if !errors.Is(err, inbound.ErrInvalidSignature) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run(kind+"/unsigned", func(t *testing.T) {
			_, err := run(h.valid, map[string]string{})
			if !errors.Is(err, inbound.ErrMissingSignature) {
				t.Fatalf("got %v", err)
			}
		})
		if h.tolerance > 0 {
			t.Run(kind+"/stale timestamp", func(t *testing.T) {
				_, err := run(h.valid, h.sign(t, h.secret, h.valid, now.Add(-h.tolerance-time.Second)))
				if !errors.Is(err, inbound.ErrStaleTimestamp) {
					t.Fatalf("got %v", err)
				}
			})
		}
		t.Run(kind+"/malformed body", func(t *testing.T) {
			_, err := run(h.malformed, h.sign(t, h.secret, h.malformed, now))
			if !errors.Is(err, inbound.ErrInvalidJSON) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run(kind+"/unknown event type", func(t *testing.T) {
			got, err := run(h.unknownType, h.sign(t, h.secret, h.unknownType, now))
			if h.unknownKept {
				if err != nil || got[0].Type != envelope.ProviderUnmapped {
					t.Fatalf("got %+v, %v; want provider.unmapped", got, err)
				}
				return
			}
			if !errors.Is(err, inbound.ErrUnknownEventType) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
