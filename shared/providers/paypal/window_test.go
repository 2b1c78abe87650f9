package paypal_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/httpx"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/paypal"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

// TestTransmissionTimeWindow: PayPal's retries (up to 72 h after the first attempt, which
// they keep the time of) are accepted; anything older, or more than 5 minutes ahead, is
// refused before any certificate is fetched.
func TestTransmissionTimeWindow(t *testing.T) {
	t.Parallel()
	s := newCertServer(t)
	body := providertest.Fixture(t, ".", "PAYMENT.CAPTURE.COMPLETED")
	creds := inbound.Credentials{Secrets: []string{webhookID}}
	for _, tc := range []struct {
		name string
		at   time.Time
		want error
	}{
		{"signed 4 days ago", now.Add(-96 * time.Hour), inbound.ErrStaleTimestamp},
		{"signed 72 h and a second ago", now.Add(-paypal.MaxAge - time.Second), inbound.ErrStaleTimestamp},
		{"signed 6 minutes ahead", now.Add(6 * time.Minute), inbound.ErrStaleTimestamp},
		{"signed a year ahead", now.Add(365 * 24 * time.Hour), inbound.ErrStaleTimestamp},
	} {
		p := s.provider()
		before := s.fetches.Load()
		_, err := p.Verify(context.Background(), s.requestAt(t, "good", body, tc.at, nil), creds, now)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if n := s.fetches.Load() - before; n != 0 {
			t.Errorf("%s: %d certificate fetches before the refusal", tc.name, n)
		}
	}
	for _, tc := range []struct {
		name string
		at   time.Time
	}{
		{"a retry 71 h 59 min after the first attempt", now.Add(-paypal.MaxAge + time.Minute)},
		{"exactly 72 h", now.Add(-paypal.MaxAge)},
		{"4 minutes ahead", now.Add(4 * time.Minute)},
	} {
		v, err := s.provider().Verify(context.Background(), s.requestAt(t, "good", body, tc.at, nil), creds, now)
		if err != nil || !v.Timestamp.Equal(tc.at.Truncate(time.Second)) {
			t.Errorf("%s: %v, timestamp %s", tc.name, err, v.Timestamp)
		}
	}
	before := s.fetches.Load()
	for _, ts := range []string{"yesterday", "1795600800", "2026-11-25 10:00:00"} {
		_, err := s.provider().Verify(context.Background(), s.request(t, "good", body, func(h map[string]string) { h[paypal.HeaderTransmissionTime] = ts }), creds, now)
		if !errors.Is(err, inbound.ErrInvalidSignature) {
			t.Errorf("transmission time %q: %v", ts, err)
		}
	}
	if s.fetches.Load() != before {
		t.Error("an unparsable transmission time led to a certificate fetch")
	}
}

// TestCertURLMustBePayPalsPattern: only a certificate path exactly as PayPal's is fetched;
// traversal, other files and decorations make no fetch.
func TestCertURLMustBePayPalsPattern(t *testing.T) {
	t.Parallel()
	s := newCertServer(t)
	body := providertest.Fixture(t, ".", "PAYMENT.CAPTURE.COMPLETED")
	base := s.URL + paypal.CertPathPrefix
	for _, u := range []string{
		base + "../../../v1/oauth2/token",
		base + "CERT-360caa42-fca2a594-00000001/../../../../v1/oauth2/token",
		base + "%2e%2e/%2e%2e/%2e%2e/v1/oauth2/token",
		base + "..%2f..%2f..%2fv1%2foauth2%2ftoken",
		base + "CERT-360caa42-fca2a594-00000001/..",
		base + "..",
		base + ".",
		base,
		base + "other.pem",
		base + "CERT-360caa42",
		base + "CERT-360caa42-fca2a594-0000000g",
		base + "CERT-360caa42-fca2a594-00000001/",
		base + "CERT-360caa42-fca2a594-00000001?x=1",
		base + "CERT-360caa42-fca2a594-00000001#f",
		base + "CERT-360caa42-fca2a594-00000001%00",
		base + "CERT-360caa42-fca2a594-0000000%31",
		s.URL + "/v1/notifications/certs//CERT-360caa42-fca2a594-00000001",
		s.URL + "/V1/notifications/certs/CERT-360caa42-fca2a594-00000001",
		s.URL + "/x/../v1/notifications/certs/CERT-360caa42-fca2a594-00000001",
	} {
		_, err := s.provider().Verify(context.Background(), s.request(t, "good", body, func(h map[string]string) { h[paypal.HeaderCertURL] = u }), inbound.Credentials{Secrets: []string{webhookID}}, now)
		if !errors.Is(err, inbound.ErrInvalidSignature) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if n := s.fetches.Load(); n != 0 {
		t.Fatalf("%d fetches for certificate URLs off PayPal's pattern", n)
	}
}

// TestFetchFailureIsUnavailable: a certificate server that fails, or cannot be reached,
// makes the request a 503 (PayPal retries) whose message names neither the URL nor the
// failure.
func TestFetchFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	s := newCertServer(t)
	body := providertest.Fixture(t, ".", "PAYMENT.CAPTURE.COMPLETED")
	creds := inbound.Credentials{Secrets: []string{webhookID}}
	_, err := s.provider().Verify(context.Background(), s.request(t, "unavailable", body, nil), creds, now)
	if !errors.Is(err, inbound.ErrVerificationUnavailable) {
		t.Fatalf("a 503 from the certificate server: %v", err)
	}
	p := httpx.ProblemFor(err)
	if p.Status != 503 || p.Code != "VERIFICATION_UNAVAILABLE" || strings.Contains(p.Message, "127.0.0.1") || strings.Contains(p.Message, "503") {
		t.Fatalf("answer %+v", p)
	}
	gone := s.provider()
	req := s.request(t, "good", body, nil)
	s.Close()
	if _, err := gone.Verify(context.Background(), req, creds, now); !errors.Is(err, inbound.ErrVerificationUnavailable) {
		t.Fatalf("an unreachable certificate server: %v", err)
	}
}

// countingFetch answers every URL with err and counts the calls.
type countingFetch struct {
	calls atomic.Int32
	err   error
}

func (f *countingFetch) fetch(context.Context, string) ([]byte, error) {
	f.calls.Add(1)
	return nil, f.err
}

const certHost = "certs.test"

func certURLFor(i int) string {
	return fmt.Sprintf("https://%s%sCERT-360caa42-fca2a594-%08x", certHost, paypal.CertPathPrefix, i)
}

// TestFailuresCachedBriefly: a failed fetch is remembered for FailureTTL, by the request
// clock, whether the failure is temporary (503) or final (401); then it is tried again.
func TestFailuresCachedBriefly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fetchErr error
		want     error
	}{
		{errors.New("connection reset"), inbound.ErrVerificationUnavailable},
		{fmt.Errorf("%w: status 404", paypal.ErrNoCertificate), inbound.ErrInvalidSignature},
	} {
		f := &countingFetch{err: tc.fetchErr}
		p := paypal.Provider{Certs: &paypal.Certs{Hosts: []string{certHost}, Fetch: f.fetch, FailureTTL: 30 * time.Second}}
		verify := func(at time.Time) error {
			_, err := p.Verify(context.Background(), signedRequest(certURLFor(1), at), inbound.Credentials{Secrets: []string{webhookID}}, at)
			return err
		}
		for _, at := range []time.Time{now, now.Add(10 * time.Second), now.Add(29 * time.Second)} {
			if err := verify(at); !errors.Is(err, tc.want) {
				t.Fatalf("%v: %v, want %v", tc.fetchErr, err, tc.want)
			}
		}
		if n := f.calls.Load(); n != 1 {
			t.Fatalf("%v: %d fetches within the failure TTL, want 1", tc.fetchErr, n)
		}
		if err := verify(now.Add(31 * time.Second)); !errors.Is(err, tc.want) || f.calls.Load() != 2 {
			t.Fatalf("%v: after the TTL: %v, %d fetches", tc.fetchErr, err, f.calls.Load())
		}
	}
}

// TestCacheIsBounded: however many distinct certificate URLs requests name, the cache keeps
// at most MaxEntries of them.
func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	f := &countingFetch{err: fmt.Errorf("%w: status 404", paypal.ErrNoCertificate)}
	certs := &paypal.Certs{Hosts: []string{certHost}, Fetch: f.fetch, MaxEntries: 4}
	p := paypal.Provider{Certs: certs}
	for i := range 50 {
		at := now.Add(time.Duration(i) * time.Second)
		_, _ = p.Verify(context.Background(), signedRequest(certURLFor(i), at), inbound.Credentials{Secrets: []string{webhookID}}, at)
		if n := certs.Cached(); n > 4 {
			t.Fatalf("%d cached URLs after %d requests, over the bound of 4", n, i+1)
		}
	}
	if f.calls.Load() != 50 {
		t.Fatalf("%d fetches for 50 URLs", f.calls.Load())
	}
}

type ctxKey struct{}

// TestFetchUsesTheRequestContext: the certificate is fetched with the context ingest
// verifies with, and a fetch cut short by that context is not remembered as a failure.
func TestFetchUsesTheRequestContext(t *testing.T) {
	t.Parallel()
	var seen []any
	fetch := func(ctx context.Context, _ string) ([]byte, error) {
		seen = append(seen, ctx.Value(ctxKey{}))
		return nil, ctx.Err()
	}
	certs := &paypal.Certs{Hosts: []string{certHost}, Fetch: fetch}
	p := paypal.Provider{Certs: certs}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "request-1"))
	cancel()
	_, err := p.Verify(ctx, signedRequest(certURLFor(1), now), inbound.Credentials{Secrets: []string{webhookID}}, now)
	if !errors.Is(err, inbound.ErrVerificationUnavailable) || len(seen) != 1 || seen[0] != "request-1" {
		t.Fatalf("err %v, contexts seen %v", err, seen)
	}
	if certs.Cached() != 0 {
		t.Fatal("a fetch cancelled by its request was cached as a failure")
	}
}

// signedRequest has well-formed PayPal headers naming certURL; its signature is not valid.
func signedRequest(certURL string, at time.Time) *inbound.Request {
	return &inbound.Request{Header: map[string]string{
		paypal.HeaderTransmissionID: "trans-1", paypal.HeaderTransmissionTime: at.UTC().Format(time.RFC3339),
		paypal.HeaderTransmissionSig: "AAAA", paypal.HeaderCertURL: certURL, paypal.HeaderAuthAlgo: paypal.AuthAlgo,
	}, Body: []byte(`{}`)}
}
