package calendly_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/calendly"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

const key = "calendly_signing_key_for_tests"

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// sign makes the header as Calendly documents it: t=<unix>,v1=hex(HMAC-SHA256(key, t.body)).
func sign(body []byte, at time.Time) map[string]string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + "." + string(body)))
	return map[string]string{calendly.SignatureHeader: "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))}
}

func TestVerifyTolerance(t *testing.T) {
	body := providertest.Fixture(t, ".", "invitee.created")
	for _, tc := range []struct {
		at   time.Time
		want error
	}{
		{now, nil}, {now.Add(-179 * time.Second), nil}, {now.Add(179 * time.Second), nil},
		{now.Add(-181 * time.Second), inbound.ErrStaleTimestamp}, {now.Add(181 * time.Second), inbound.ErrStaleTimestamp},
	} {
		_, err := calendly.Provider{}.Verify(context.Background(), &inbound.Request{Header: sign(body, tc.at), Body: body}, inbound.Credentials{Secrets: []string{key}}, now)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("signed at %s: %v, want %v", tc.at.Sub(now), err, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		fixture, typ, id string
		data             map[string]any
	}{
		{"invitee.created", "booking.created", "DDDDDDDDDDDDDDDD", map[string]any{
			"booking_id": "DDDDDDDDDDDDDDDD", "start_time": "2026-12-03T15:00:00Z", "end_time": "2026-12-03T15:30:00Z",
			"attendee_name": "Alex Smith", "attendee_email": "alex.smith@example.com", "location": "zoom",
			"meeting_url": "https://zoom.us/j/123456789",
		}},
		{"invitee.canceled", "booking.cancelled", "DDDDDDDDDDDDDDDD", map[string]any{
			"booking_id": "DDDDDDDDDDDDDDDD", "start_time": "2026-12-03T15:00:00Z", "end_time": "2026-12-03T15:30:00Z",
			"attendee_name": "Alex Smith", "attendee_email": "alex.smith@example.com", "location": "zoom",
			"meeting_url": "https://zoom.us/j/123456789",
		}},
		{"routing_form_submission.created", "form.submitted", "RFS0000000000001", map[string]any{
			"form_id": "RF00000000000001", "responses": map[string]any{"Your names": "Sam & Alex", "Guests": "120"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			body := providertest.Fixture(t, ".", tt.fixture)
			got, err := calendly.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
			if err != nil {
				t.Fatal(err)
			}
			var data map[string]any
			_ = json.Unmarshal(got[0].Data, &data)
			if got[0].Type != tt.typ || got[0].ProviderType != tt.fixture || got[0].ProviderEventID != tt.id ||
				got[0].DedupeKey != inbound.BodyKey(body) || got[0].Time.IsZero() || !reflect.DeepEqual(data, tt.data) {
				t.Fatalf("got %+v\ndata %v", got[0], data)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	body := providertest.Fixture(f, ".", "invitee.created")
	f.Add(sign(body, now)[calendly.SignatureHeader], body)
	f.Add("t=,v1=,v1=zz", []byte(`{}`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_, err := calendly.Provider{}.Verify(context.Background(), &inbound.Request{Header: map[string]string{calendly.SignatureHeader: header}, Body: body},
			inbound.Credentials{Secrets: []string{key}}, now)
		if err != nil && !errors.Is(err, inbound.ErrMissingSignature) && !errors.Is(err, inbound.ErrInvalidSignature) && !errors.Is(err, inbound.ErrStaleTimestamp) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, name := range []string{"invitee.created", "invitee.canceled", "routing_form_submission.created"} {
		f.Add(providertest.Fixture(f, ".", name))
	}
	f.Add([]byte(`{"event":"invitee.created","payload":{"scheduled_event":[]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := calendly.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			if !errors.Is(err, inbound.ErrInvalidJSON) && !errors.Is(err, inbound.ErrInvalidPayload) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if len(got) != 1 || got[0].DedupeKey == "" || len(got[0].Data) == 0 {
			t.Fatalf("accepted %+v", got)
		}
	})
}
