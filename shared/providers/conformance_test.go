package providers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/providers/paypal"
	"github.com/wedsync/webhooks/shared/providers/paypal/testca"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

var now = providertest.Now

// signed is what a provider adds to a request to authenticate it.
type signed struct {
	header map[string]string
	query  map[string]string
}

// harness is what the conformance suite needs to drive one provider.
type harness struct {
	secret, otherSecret string
	// url is the connection's registered URL (Mandrill signs it).
	url  string
	sign func(t testing.TB, secret string, body []byte, at time.Time) signed
	// tolerance is the scheme's timestamp tolerance; 0 when it has none.
	tolerance   time.Duration
	valid       []byte
	malformed   []byte
	malformedIs error
	unknownType []byte
	// unknownKept says unknown types become provider.unmapped rather than a 400.
	unknownKept bool
	// tamperSigned says the signature covers the body although the scheme has no timestamp.
	tamperSigned bool
	// provider, when set, replaces the registry's (PayPal's test certificate hosts).
	provider func(t testing.TB) inbound.Provider
}

func headerOnly(h map[string]string) signed { return signed{header: h} }

func timestamped(header string) func(testing.TB, string, []byte, time.Time) signed {
	return func(_ testing.TB, secret string, body []byte, at time.Time) signed {
		ts := strconv.FormatInt(at.Unix(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "." + string(body)))
		return headerOnly(map[string]string{header: "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))})
	}
}

func mandrillBody(events string) []byte {
	return []byte(url.Values{"mandrill_events": {events}}.Encode())
}

const mandrillURL = "https://hooks.wedsync.example/webhooks/mandrill/conn_1"

var harnesses = map[string]harness{
	"stripe": {
		secret: "whsec_stripe_a", otherSecret: "whsec_stripe_b", tolerance: 300 * time.Second,
		sign: func(_ testing.TB, secret string, body []byte, at time.Time) signed {
			return headerOnly(map[string]string{"stripe-signature": providertest.StripeSignature(body, secret, at)})
		},
		valid:       []byte(`{"id":"evt_1","object":"event","created":1,"type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":100,"currency":"usd"}}}`),
		malformed:   []byte(`{"id":"evt_1",`),
		malformedIs: inbound.ErrInvalidJSON,
		unknownType: []byte(`{"id":"evt_2","object":"event","created":1,"type":"wedding.planned","data":{"object":{"id":"x"}}}`),
		unknownKept: true,
	},
	"custom": {
		secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", otherSecret: "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=", tolerance: 300 * time.Second,
		sign: func(t testing.TB, secret string, body []byte, at time.Time) signed {
			return headerOnly(providertest.StandardHeaders(t, secret, "msg_conformance", at, body))
		},
		valid:       []byte(`{"type":"booking.created","data":{"booking_id":"bk_1"}}`),
		malformed:   []byte(`{"type":`),
		malformedIs: inbound.ErrInvalidJSON,
		unknownType: []byte(`{"type":"wedding.planned","data":{}}`),
	},
	"calendly": {
		secret: "calendly_key_a", otherSecret: "calendly_key_b", tolerance: 180 * time.Second,
		sign:        timestamped("calendly-webhook-signature"),
		valid:       []byte(`{"event":"invitee.created","created_at":"2026-11-25T10:00:00Z","payload":{"uri":"https://api.calendly.com/x/invitees/I1","email":"a@example.com","name":"A","scheduled_event":{"start_time":"2026-12-01T10:00:00Z","end_time":"2026-12-01T11:00:00Z"}}}`),
		malformed:   []byte(`{"event":`),
		malformedIs: inbound.ErrInvalidJSON,
		unknownType: []byte(`{"event":"wedding.planned","payload":{}}`),
		unknownKept: true,
	},
	"zapier": {
		secret: "zap_token_a", otherSecret: "zap_token_b",
		sign: func(_ testing.TB, secret string, _ []byte, _ time.Time) signed {
			return headerOnly(map[string]string{"authorization": "Bearer " + secret})
		},
		valid:       []byte(`{"event_type":"booking.created","id":"z1","data":{"booking_id":"bk_1"}}`),
		malformed:   []byte(`{"event_type":`),
		malformedIs: inbound.ErrInvalidJSON,
		unknownType: []byte(`{"event_type":"wedding.planned","data":{}}`),
	},
	"mailchimp": {
		secret: "mailchimp-url-key-a", otherSecret: "mailchimp-url-key-b",
		sign: func(_ testing.TB, secret string, _ []byte, _ time.Time) signed {
			return signed{query: map[string]string{"key": secret}}
		},
		valid:       []byte("type=subscribe&fired_at=2026-11-25+10%3A00%3A00&data%5Blist_id%5D=l1&data%5Bemail%5D=a%40example.com"),
		malformed:   []byte("type=subscribe&%zz"),
		malformedIs: inbound.ErrInvalidPayload,
		unknownType: []byte("type=wedding_planned&data%5Blist_id%5D=l1"),
		unknownKept: true,
	},
	"mandrill": {
		secret: "mandrill_key_a", otherSecret: "mandrill_key_b", url: mandrillURL,
		sign: func(_ testing.TB, secret string, body []byte, _ time.Time) signed {
			form, _ := url.ParseQuery(string(body))
			return headerOnly(map[string]string{mandrill.SignatureHeader: mandrill.Sign(secret, mandrillURL, form)})
		},
		valid:       mandrillBody(`[{"event":"send","_id":"m1","ts":1795600800,"msg":{"_id":"m1","email":"a@example.com","state":"sent"}}]`),
		malformed:   mandrillBody(`[{"event":`),
		malformedIs: inbound.ErrInvalidJSON,
		unknownType: mandrillBody(`[{"event":"wedding_planned","_id":"m2","ts":1795600800,"msg":{"_id":"m2"}}]`),
		unknownKept: true,
	},
}

func TestConformance(t *testing.T) {
	harnesses["paypal"] = paypalHarness(t)
	for kind, p := range providers.Registry() {
		h, ok := harnesses[kind]
		if !ok {
			t.Errorf("provider %s has no conformance harness", kind)
			continue
		}
		if h.provider != nil {
			p = h.provider(t)
		}
		creds := inbound.Credentials{Secrets: []string{h.secret}, URL: h.url}
		run := func(body []byte, s signed) ([]inbound.Parsed, error) {
			req := &inbound.Request{Method: "POST", Header: s.header, Query: s.query, Body: body}
			if req.Header == nil {
				req.Header = map[string]string{}
			}
			v, err := p.Verify(context.Background(), req, creds, now)
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
		t.Run(kind+"/duplicate yields the same event id", func(t *testing.T) {
			a, errA := run(h.valid, h.sign(t, h.secret, h.valid, now))
			b, errB := run(h.valid, h.sign(t, h.secret, h.valid, now.Add(-time.Second)))
			if errA != nil || errB != nil || envelope.EventID("c", a[0].DedupeKey) != envelope.EventID("c", b[0].DedupeKey) {
				t.Fatalf("redelivery changed the dedupe key: %v %v", errA, errB)
			}
		})
		t.Run(kind+"/tampered", func(t *testing.T) {
			s := h.sign(t, h.secret, h.valid, now)
			tampered := append([]byte(nil), h.valid...)
			tampered[len(tampered)-3] ^= 0x01
			_, err := run(tampered, s)
			if h.url == "" && h.tolerance == 0 && !h.tamperSigned {
				// Token schemes (Zapier, Mailchimp) authenticate the sender, not the body.
				return
			}
			if !errors.Is(err, inbound.ErrInvalidSignature) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run(kind+"/another secret", func(t *testing.T) {
			_, err := run(h.valid, h.sign(t, h.otherSecret, h.valid, now))
			if !errors.Is(err, inbound.ErrInvalidSignature) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run(kind+"/missing", func(t *testing.T) {
			_, err := run(h.valid, signed{})
			if !errors.Is(err, inbound.ErrMissingSignature) {
				t.Fatalf("got %v", err)
			}
		})
		if h.tolerance > 0 {
			t.Run(kind+"/stale", func(t *testing.T) {
				_, err := run(h.valid, h.sign(t, h.secret, h.valid, now.Add(-h.tolerance-time.Second)))
				if !errors.Is(err, inbound.ErrStaleTimestamp) {
					t.Fatalf("got %v", err)
				}
			})
		}
		t.Run(kind+"/malformed", func(t *testing.T) {
			_, err := run(h.malformed, h.sign(t, h.secret, h.malformed, now))
			if !errors.Is(err, h.malformedIs) {
				t.Fatalf("got %v, want %v", err, h.malformedIs)
			}
		})
		t.Run(kind+"/unmapped type", func(t *testing.T) {
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

// paypalHarness serves a test CA's message-verification certificate over TLS on loopback
// and signs as PayPal does with its key.
func paypalHarness(t *testing.T) harness {
	ca, err := testca.New(now)
	if err != nil {
		t.Fatal(err)
	}
	chain, key, err := ca.Leaf("messageverificationcerts.paypal.com", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tlsCert, err := ca.ServerTLS(now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(chain) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlsCert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	certURL := srv.URL + paypal.CertPathPrefix + "CERT-360caa42-fca2a594-c0f0c0f0"
	return harness{
		secret: "WH-CONFORMANCE-A", otherSecret: "WH-CONFORMANCE-B", tolerance: paypal.MaxAge,
		provider: func(testing.TB) inbound.Provider {
			return paypal.Provider{Certs: &paypal.Certs{Hosts: []string{strings.TrimPrefix(srv.URL, "https://")}, Roots: ca.Pool(), Fetch: paypal.HTTPFetch(ca.Pool())}}
		},
		sign: func(t testing.TB, webhookID string, body []byte, at time.Time) signed {
			h, err := testca.Headers(key, certURL, "trans-conformance", webhookID, body, at)
			if err != nil {
				t.Fatal(err)
			}
			return headerOnly(h)
		},
		tamperSigned: true,
		valid:        []byte(`{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","create_time":"2026-11-25T10:00:00Z","resource":{"id":"c1","amount":{"currency_code":"USD","value":"1.00"}}}`),
		malformed:    []byte(`{"id":"WH-1",`),
		malformedIs:  inbound.ErrInvalidJSON,
		unknownType:  []byte(`{"id":"WH-2","event_type":"WEDDING.PLANNED","resource":{"id":"x"}}`),
		unknownKept:  true,
	}
}
