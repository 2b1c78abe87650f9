package providers_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

// sampleBody is a provider's default sample as it posts it (Mandrill's events form-encoded).
func sampleBody(t *testing.T, kind, sample string) []byte {
	t.Helper()
	dir := filepath.Join(kind, "testdata")
	if b, err := os.ReadFile(filepath.Join(dir, sample+".form")); err == nil {
		return b
	}
	b, err := os.ReadFile(filepath.Join(dir, sample+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if kind == "mandrill" {
		return []byte(url.Values{"mandrill_events": {string(b)}}.Encode())
	}
	return b
}

// TestEverySenderSignsWhatItVerifies: every provider names a sample and makes fresh secrets
// (what the local stack seeds), and each one that signs (all but PayPal, whose test CA the
// local stack holds) signs its sample so that its own verification accepts it, and refuses
// it with another secret.
func TestEverySenderSignsWhatItVerifies(t *testing.T) {
	t.Parallel()
	const ingestURL = "http://127.0.0.1:3000/webhooks/x/dev-x"
	for kind, p := range providers.Registry() {
		seeder, ok := p.(inbound.Seeder)
		if !ok {
			t.Errorf("%s names no sample and makes no secret", kind)
			continue
		}
		if a, b := seeder.NewSecret(), seeder.NewSecret(); a == "" || a == b {
			t.Errorf("%s: secrets %q and %q", kind, a, b)
		}
		sender, ok := p.(inbound.Sender)
		if !ok {
			continue
		}
		secret := seeder.NewSecret()
		body := sampleBody(t, kind, seeder.Sample())
		target, header, err := sender.Sign(ingestURL, secret, "msg_1", body, providertest.Now)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		u, _ := url.Parse(target)
		req := &inbound.Request{Method: "POST", Header: map[string]string{}, Query: map[string]string{}, Body: body}
		for k, v := range header {
			req.Header[strings.ToLower(k)] = v
		}
		for k, v := range u.Query() {
			req.Query[k] = v[0]
		}
		creds := inbound.Credentials{Secrets: []string{secret}, URL: ingestURL}
		if _, err := p.Verify(context.Background(), req, creds, providertest.Now); err != nil {
			t.Errorf("%s does not verify its own signature: %v", kind, err)
		}
		if _, err := p.Verify(context.Background(), req, inbound.Credentials{Secrets: []string{seeder.NewSecret()}, URL: ingestURL}, providertest.Now); err == nil {
			t.Errorf("%s verified a request signed with another secret", kind)
		}
	}
}
