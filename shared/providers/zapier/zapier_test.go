package zapier_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/providertest"
	"github.com/wedsync/webhooks/shared/providers/zapier"
)

const token = "zap_test_token_0123456789"

func TestVerify(t *testing.T) {
	creds := inbound.Credentials{Secrets: []string{"zap_old", token}}
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   error
	}{
		{"bearer", map[string]string{"authorization": "Bearer " + token}, nil},
		{"x-api-key", map[string]string{"x-api-key": token}, nil},
		{"wrong bearer", map[string]string{"authorization": "Bearer zap_nope"}, inbound.ErrInvalidSignature},
		{"prefix of the token", map[string]string{"x-api-key": token[:10]}, inbound.ErrInvalidSignature},
		{"basic auth", map[string]string{"authorization": "Basic " + token}, inbound.ErrMissingSignature},
		{"nothing", map[string]string{}, inbound.ErrMissingSignature},
	} {
		_, err := zapier.Provider{}.Verify(context.Background(), &inbound.Request{Header: tc.header}, creds, providertest.Now)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	body := providertest.Fixture(t, ".", "booking.updated")
	got, err := zapier.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
	if err != nil || got[0].Type != "booking.updated" || got[0].DedupeKey != "zap_run_0001" || got[0].Time.IsZero() {
		t.Fatalf("got %+v, %v", got, err)
	}
	noID := []byte(`{"type":"review.received","data":{"rating":5}}`)
	got, _ = zapier.Provider{}.Normalize(&inbound.Request{Body: noID}, inbound.Verified{})
	if got[0].DedupeKey != inbound.BodyKey(noID) {
		t.Fatalf("without an id the body hash is the key: %+v", got[0])
	}
	_, err = zapier.Provider{}.Normalize(&inbound.Request{Body: []byte(`{"event_type":"wedding.booked","data":{}}`)}, inbound.Verified{})
	if !errors.Is(err, inbound.ErrUnknownEventType) || !strings.Contains(err.Error(), "booking.created") {
		t.Fatalf("unknown event_type: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("Bearer "+token, "")
	f.Add("", token)
	f.Fuzz(func(t *testing.T, auth, apiKey string) {
		_, err := zapier.Provider{}.Verify(context.Background(), &inbound.Request{Header: map[string]string{"authorization": auth, "x-api-key": apiKey}},
			inbound.Credentials{Secrets: []string{token}}, providertest.Now)
		if err != nil && !errors.Is(err, inbound.ErrMissingSignature) && !errors.Is(err, inbound.ErrInvalidSignature) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add(providertest.Fixture(f, ".", "booking.updated"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := zapier.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			if !errors.Is(err, inbound.ErrInvalidJSON) && !errors.Is(err, inbound.ErrInvalidPayload) && !errors.Is(err, inbound.ErrUnknownEventType) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if got[0].DedupeKey == "" {
			t.Fatal("no dedupe key")
		}
	})
}
