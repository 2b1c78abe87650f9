package paypal_test

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/paypal"
	"github.com/wedsync/webhooks/shared/providers/paypal/testca"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

const webhookID = "WH-TEST-1A2B3C4D5E"

var now = providertest.Now

// certServer serves chains at /v1/notifications/certs/<name> over TLS on loopback, from a
// test CA that the provider under test trusts.
type certServer struct {
	*httptest.Server
	ca      *testca.CA
	fetches atomic.Int32
	chains  map[string][]byte
	keys    map[string]*rsa.PrivateKey
}

func newCertServer(t *testing.T) *certServer {
	t.Helper()
	ca, err := testca.New(now)
	if err != nil {
		t.Fatal(err)
	}
	s := &certServer{ca: ca, chains: map[string][]byte{}, keys: map[string]*rsa.PrivateKey{}}
	issue := func(name, cn string, from, until time.Time, by *testca.CA) {
		chain, key, err := by.Leaf(cn, from, until)
		if err != nil {
			t.Fatal(err)
		}
		s.chains[name], s.keys[name] = chain, key
	}
	issue("good", "messageverificationcerts.paypal.com", now.Add(-time.Hour), now.Add(24*time.Hour), ca)
	issue("expired", "messageverificationcerts.paypal.com", now.Add(-48*time.Hour), now.Add(-24*time.Hour), ca)
	issue("other-name", "attacker.example.com", now.Add(-time.Hour), now.Add(24*time.Hour), ca)
	rogue, err := testca.New(now)
	if err != nil {
		t.Fatal(err)
	}
	issue("rogue", "messageverificationcerts.paypal.com", now.Add(-time.Hour), now.Add(24*time.Hour), rogue)
	tlsCert, err := ca.ServerTLS(now)
	if err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		name := certNames[strings.TrimPrefix(r.URL.Path, paypal.CertPathPrefix)]
		switch name {
		case "redirect":
			http.Redirect(w, r, s.certURL("good"), http.StatusFound)
			return
		case "unavailable":
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
			return
		}
		chain, ok := s.chains[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(chain)
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{tlsCert}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// certIDs are the certificate ids the server answers, by the name tests use; each is
// spelled as PayPal spells its ids.
var certIDs = map[string]string{
	"good": "CERT-360caa42-fca2a594-00000001", "expired": "CERT-360caa42-fca2a594-00000002",
	"other-name": "CERT-360caa42-fca2a594-00000003", "rogue": "CERT-360caa42-fca2a594-00000004",
	"redirect": "CERT-360caa42-fca2a594-00000005", "unavailable": "CERT-360caa42-fca2a594-00000006",
	"missing": "CERT-360caa42-fca2a594-00000007",
}

var certNames = func() map[string]string {
	out := map[string]string{}
	for name, id := range certIDs {
		out[id] = name
	}
	return out
}()

// certURL is the URL of the certificate the tests call name.
func (s *certServer) certURL(name string) string {
	return s.URL + paypal.CertPathPrefix + certIDs[name]
}

func (s *certServer) provider() paypal.Provider {
	host := strings.TrimPrefix(s.URL, "https://")
	return paypal.Provider{Certs: &paypal.Certs{Hosts: []string{host}, Roots: s.ca.Pool(), Fetch: paypal.HTTPFetch(s.ca.Pool())}}
}

func (s *certServer) request(t *testing.T, cert string, body []byte, edit func(map[string]string)) *inbound.Request {
	t.Helper()
	return s.requestAt(t, cert, body, now, edit)
}

// requestAt is a request PayPal signed at at with the key of the certificate cert.
func (s *certServer) requestAt(t *testing.T, cert string, body []byte, at time.Time, edit func(map[string]string)) *inbound.Request {
	t.Helper()
	key := s.keys["good"]
	if k, ok := s.keys[cert]; ok {
		key = k
	}
	h, err := testca.Headers(key, s.certURL(cert), "trans-1", webhookID, body, at)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(h)
	}
	return &inbound.Request{Header: h, Body: body}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	s := newCertServer(t)
	body := providertest.Fixture(t, ".", "PAYMENT.CAPTURE.COMPLETED")
	creds := inbound.Credentials{Secrets: []string{webhookID}}
	host := strings.TrimPrefix(s.URL, "https://")
	tests := []struct {
		name      string
		cert      string
		body      []byte
		edit      func(map[string]string)
		creds     inbound.Credentials
		want      error
		fetchless bool
	}{
		{name: "valid", cert: "good", want: nil},
		{name: "body changed (CRC32)", cert: "good", body: append([]byte(" "), body...), want: inbound.ErrInvalidSignature},
		{name: "another webhook id", cert: "good", creds: inbound.Credentials{Secrets: []string{"WH-OTHER"}}, want: inbound.ErrInvalidSignature},
		{name: "expired leaf", cert: "expired", want: inbound.ErrInvalidSignature},
		{name: "leaf with another name", cert: "other-name", want: inbound.ErrInvalidSignature},
		{name: "chain that does not verify", cert: "rogue", want: inbound.ErrInvalidSignature},
		{name: "redirecting cert URL", cert: "redirect", want: inbound.ErrInvalidSignature},
		{name: "no certificate at the URL", cert: "missing", want: inbound.ErrInvalidSignature},
		{name: "certificate server unavailable", cert: "unavailable", want: inbound.ErrVerificationUnavailable},
		{name: "algorithm other than SHA256withRSA", cert: "good", edit: func(h map[string]string) { h[paypal.HeaderAuthAlgo] = "SHA1withRSA" }, want: inbound.ErrInvalidSignature, fetchless: true},
		{name: "cert URL on another host", cert: "good", edit: func(h map[string]string) {
			h[paypal.HeaderCertURL] = "https://api.paypal.com.evil.example" + paypal.CertPathPrefix + certIDs["good"]
		}, want: inbound.ErrInvalidSignature, fetchless: true},
		{name: "cert URL with userinfo", cert: "good", edit: func(h map[string]string) {
			h[paypal.HeaderCertURL] = "https://user:pw@" + host + paypal.CertPathPrefix + certIDs["good"]
		}, want: inbound.ErrInvalidSignature, fetchless: true},
		{name: "cert URL over http", cert: "good", edit: func(h map[string]string) {
			h[paypal.HeaderCertURL] = "http://" + host + paypal.CertPathPrefix + certIDs["good"]
		}, want: inbound.ErrInvalidSignature, fetchless: true},
		{name: "cert URL outside the certs path", cert: "good", edit: func(h map[string]string) {
			h[paypal.HeaderCertURL] = "https://" + host + "/elsewhere/" + certIDs["good"]
		}, want: inbound.ErrInvalidSignature, fetchless: true},
		{name: "missing headers", cert: "good", edit: func(h map[string]string) { delete(h, paypal.HeaderTransmissionSig) }, want: inbound.ErrMissingSignature, fetchless: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := creds
			if tt.creds.Secrets != nil {
				c = tt.creds
			}
			p := s.provider()
			before := s.fetches.Load()
			req := s.request(t, tt.cert, body, tt.edit)
			if tt.body != nil {
				req.Body = tt.body
			}
			_, err := p.Verify(context.Background(), req, c, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if tt.fetchless && s.fetches.Load() != before {
				t.Fatal("the certificate was fetched although the request could be refused without it")
			}
		})
	}
}

func TestOneFetchForManyEvents(t *testing.T) {
	t.Parallel()
	s := newCertServer(t)
	p := s.provider()
	for _, name := range []string{"PAYMENT.CAPTURE.COMPLETED", "CUSTOMER.DISPUTE.CREATED", "PAYMENT.CAPTURE.REFUNDED"} {
		body := providertest.Fixture(t, ".", name)
		for range 3 {
			if _, err := p.Verify(context.Background(), s.request(t, "good", body, nil), inbound.Credentials{Secrets: []string{webhookID}}, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := s.fetches.Load(); n != 1 {
		t.Fatalf("%d certificate fetches for 9 events, want 1", n)
	}
	if _, err := p.Verify(context.Background(), s.request(t, "good", []byte(`{}`), nil), inbound.Credentials{Secrets: []string{webhookID}}, now.Add(48*time.Hour)); !errors.Is(err, inbound.ErrInvalidSignature) {
		t.Fatalf("a cached certificate used after it expired: %v", err)
	}
}

func TestSignedMessage(t *testing.T) {
	t.Parallel()
	// CRC32 (IEEE) of "hello" is 907060870, as PayPal's documentation computes it.
	if got := paypal.SignedMessage("tid", "2026-11-25T10:00:00Z", "WH-1", []byte("hello")); got != "tid|2026-11-25T10:00:00Z|WH-1|907060870" {
		t.Fatalf("SignedMessage = %s", got)
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, typ string
		data         map[string]any
	}{
		{"PAYMENT.CAPTURE.COMPLETED", "payment.received", map[string]any{"payment_id": "7TK53561YB803214S", "amount": 125000.0, "currency": "USD", "booking_id": "bk_7f3a9c21"}},
		{"CUSTOMER.DISPUTE.CREATED", "payment.disputed", map[string]any{"payment_id": "7TK53561YB803214S", "amount": 125000.0, "currency": "USD", "customer_email": "alex.smith@example.com",
			"customer": map[string]any{"name": "Alex Smith"}}},
		{"PAYMENT.CAPTURE.REFUNDED", "payment.refunded", map[string]any{"payment_id": "7TK53561YB803214S", "refund_amount": 25000.0, "currency": "USD", "booking_id": "bk_7f3a9c21"}},
	} {
		got, err := paypal.Provider{}.Normalize(&inbound.Request{Body: providertest.Fixture(t, ".", tc.fixture)}, inbound.Verified{})
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		_ = json.Unmarshal(got[0].Data, &data)
		if got[0].Type != tc.typ || got[0].DedupeKey == "" || got[0].Time.IsZero() || !reflect.DeepEqual(data, tc.data) {
			t.Errorf("%s: %+v data %v", tc.fixture, got[0], data)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value, cur string
		want       int64
		ok         bool
	}{
		{"10.50", "USD", 1050, true}, {"10.5", "EUR", 1050, true}, {"10", "GBP", 1000, true}, {"1000", "JPY", 1000, true},
		{"1.234", "KWD", 1234, true}, {"10.505", "USD", 0, false}, {"10.5", "JPY", 0, false}, {"-1.00", "USD", 0, false},
		{"", "USD", 0, false}, {"1e3", "USD", 0, false},
	} {
		got, err := paypal.MinorUnits(tc.value, tc.cur)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s %s = %d, %v", tc.value, tc.cur, got, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, name := range []string{"PAYMENT.CAPTURE.COMPLETED", "CUSTOMER.DISPUTE.CREATED", "PAYMENT.CAPTURE.REFUNDED"} {
		f.Add(providertest.Fixture(f, ".", name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := paypal.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			if !errors.Is(err, inbound.ErrInvalidJSON) && !errors.Is(err, inbound.ErrInvalidPayload) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if got[0].DedupeKey == "" {
			t.Fatal("no dedupe key")
		}
	})
}

// FuzzVerify: any headers are refused or verified without a panic and without a fetch
// outside the allow-list (the fetcher fails the test if asked for another host).
func FuzzVerify(f *testing.F) {
	f.Add("trans-1", "2026-11-25T10:00:00Z", "AAAA", "https://certs.test/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270", "SHA256withRSA", []byte(`{}`))
	f.Add("trans-1", "2026-11-25T10:00:00Z", "AAAA", "https://certs.test/v1/notifications/certs/../../../v1/oauth2/token", "SHA256withRSA", []byte(`{}`))
	f.Add("", "", "", "http://user@x/", "", []byte(``))
	f.Fuzz(func(t *testing.T, id, ts, sig, certURL, algo string, body []byte) {
		p := paypal.Provider{Certs: &paypal.Certs{Hosts: []string{"certs.test"}, Fetch: func(_ context.Context, u string) ([]byte, error) {
			if !strings.HasPrefix(u, "https://certs.test/") {
				t.Fatalf("fetched %q", u)
			}
			return nil, errors.New("no network in fuzzing")
		}}}
		req := &inbound.Request{Header: map[string]string{paypal.HeaderTransmissionID: id, paypal.HeaderTransmissionTime: ts,
			paypal.HeaderTransmissionSig: sig, paypal.HeaderCertURL: certURL, paypal.HeaderAuthAlgo: algo}, Body: body}
		_, err := p.Verify(context.Background(), req, inbound.Credentials{Secrets: []string{webhookID}}, now)
		if err == nil || (!errors.Is(err, inbound.ErrMissingSignature) && !errors.Is(err, inbound.ErrInvalidSignature) &&
			!errors.Is(err, inbound.ErrStaleTimestamp) && !errors.Is(err, inbound.ErrVerificationUnavailable)) {
			t.Fatalf("unexpected result: %v", err)
		}
	})
}
