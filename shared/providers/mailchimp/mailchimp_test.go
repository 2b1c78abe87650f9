package mailchimp_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/mailchimp"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

const key = "Jq3qR7Zp0m2sVbT5yE8wK1cX4nH6uL9dA0fG2iO3pS4"

func TestVerify(t *testing.T) {
	creds := inbound.Credentials{Secrets: []string{key}}
	for _, tc := range []struct {
		query map[string]string
		want  error
	}{
		{map[string]string{"key": key}, nil},
		{map[string]string{"key": key + "x"}, inbound.ErrInvalidSignature},
		{map[string]string{"key": ""}, inbound.ErrMissingSignature},
		{nil, inbound.ErrMissingSignature},
	} {
		_, err := mailchimp.Provider{}.Verify(context.Background(), &inbound.Request{Query: tc.query}, creds, providertest.Now)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("query %v: %v, want %v", tc.query, err, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		fixture, typ string
		data         map[string]any
	}{
		{"subscribe", "contact.subscribed", map[string]any{"list_id": "a6b5da1054", "email": "sam.jones@example.com", "first_name": "Sam", "last_name": "Jones"}},
		{"unsubscribe", "contact.unsubscribed", map[string]any{"list_id": "a6b5da1054", "email": "sam.jones@example.com", "first_name": "Sam", "last_name": "Jones"}},
		{"campaign", "message.sent", map[string]any{"campaign_id": "5aa2102003", "subject": "Your wedding season guide", "status": "sent"}},
		{"upemail", "provider.unmapped", map[string]any{"list_id": "a6b5da1054", "new_id": "51da8c3259", "new_email": "sam@example.org", "old_email": "sam.jones@example.com"}},
	} {
		body := providertest.File(t, ".", tc.fixture+".form")
		got, err := mailchimp.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		_ = json.Unmarshal(got[0].Data, &data)
		if got[0].Type != tc.typ || got[0].ProviderType != tc.fixture || got[0].DedupeKey != inbound.BodyKey(body) ||
			got[0].Time.IsZero() || !reflect.DeepEqual(data, tc.data) {
			t.Errorf("%s: got %+v, data %v", tc.fixture, got[0], data)
		}
	}
	for _, bad := range []string{"", "fired_at=2026-11-25", "type=subscribe&%zz"} {
		if _, err := (mailchimp.Provider{}).Normalize(&inbound.Request{Body: []byte(bad)}, inbound.Verified{}); !errors.Is(err, inbound.ErrInvalidPayload) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(key)
	f.Add("")
	f.Fuzz(func(t *testing.T, k string) {
		_, err := mailchimp.Provider{}.Verify(context.Background(), &inbound.Request{Query: map[string]string{"key": k}}, inbound.Credentials{Secrets: []string{key}}, providertest.Now)
		if err != nil && !errors.Is(err, inbound.ErrMissingSignature) && !errors.Is(err, inbound.ErrInvalidSignature) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, name := range []string{"subscribe", "unsubscribe", "campaign", "upemail"} {
		f.Add(providertest.File(f, ".", name+".form"))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := mailchimp.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			if !errors.Is(err, inbound.ErrInvalidPayload) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if got[0].DedupeKey == "" || got[0].Type == "" {
			t.Fatalf("accepted %+v", got)
		}
	})
}
