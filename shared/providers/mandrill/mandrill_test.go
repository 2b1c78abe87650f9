package mandrill_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"testing"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

const (
	key     = "mandrill-webhook-key-for-tests"
	hookURL = "https://hooks.wedsync.example/webhooks/mandrill/conn_1"
)

// TestSignatureVector: a signature computed by hand, exactly as Mandrill documents it —
// the URL, then each POST key and value, keys sorted, no separators.
func TestSignatureVector(t *testing.T) {
	form := url.Values{"mandrill_events": {`[]`}, "a_extra": {"1"}}
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(hookURL + "a_extra" + "1" + "mandrill_events" + "[]"))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := mandrill.Sign(key, hookURL, form); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	body := []byte(form.Encode())
	creds := inbound.Credentials{Secrets: []string{key}, URL: hookURL}
	if _, err := (mandrill.Provider{}).Verify(context.Background(), &inbound.Request{Header: map[string]string{mandrill.SignatureHeader: want}, Body: body}, creds, providertest.Now); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	creds.URL = hookURL + "/"
	if _, err := (mandrill.Provider{}).Verify(context.Background(), &inbound.Request{Header: map[string]string{mandrill.SignatureHeader: want}, Body: body}, creds, providertest.Now); !errors.Is(err, inbound.ErrInvalidSignature) {
		t.Fatalf("a URL that differs by a slash: %v", err)
	}
}

func TestNormalizeBatch(t *testing.T) {
	events := providertest.Fixture(t, ".", "events")
	body := []byte(url.Values{"mandrill_events": {string(events)}}.Encode())
	got, err := mandrill.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	wantTypes := []string{"message.sent", "message.bounced", "provider.unmapped"}
	keys := map[string]bool{}
	for i, p := range got {
		keys[p.DedupeKey] = true
		if p.Type != wantTypes[i] || p.Raw == nil || p.Time.IsZero() {
			t.Errorf("event %d: %+v", i, p)
		}
	}
	if len(keys) != 3 || got[0].ProviderEventID != got[1].ProviderEventID {
		t.Fatalf("a send and its bounce share _id but must be two events: %d keys", len(keys))
	}
	var data map[string]string
	_ = json.Unmarshal(got[1].Data, &data)
	if data["message_id"] != "exampleaaaaaaaaaaaaaaaaaaaaaaaaa" || data["recipient"] != "alex.smith@example.com" || data["status"] != "bounced" {
		t.Fatalf("bounce data %v", data)
	}
	for _, bad := range []string{"", "mandrill_events=", "mandrill_events=%7B%7D", "mandrill_events=%5B%7B%7D%5D"} {
		if _, err := (mandrill.Provider{}).Normalize(&inbound.Request{Body: []byte(bad)}, inbound.Verified{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	form := url.Values{"mandrill_events": {`[]`}}
	f.Add(mandrill.Sign(key, hookURL, form), []byte(form.Encode()))
	f.Add("AAAA", []byte("a=%"))
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		_, err := mandrill.Provider{}.Verify(context.Background(), &inbound.Request{Header: map[string]string{mandrill.SignatureHeader: sig}, Body: body},
			inbound.Credentials{Secrets: []string{key}, URL: hookURL}, providertest.Now)
		if err != nil && !errors.Is(err, inbound.ErrMissingSignature) && !errors.Is(err, inbound.ErrInvalidSignature) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add([]byte(url.Values{"mandrill_events": {string(providertest.Fixture(f, ".", "events"))}}.Encode()))
	f.Add([]byte("mandrill_events=%5B%5D"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := mandrill.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			if !errors.Is(err, inbound.ErrInvalidJSON) && !errors.Is(err, inbound.ErrInvalidPayload) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		for _, p := range got {
			if p.DedupeKey == "" || p.Raw == nil {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}
