package custom_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/custom"
)

func TestNormalize(t *testing.T) {
	sigTime := now.Add(-time.Minute)
	tests := []struct {
		fixture   string
		typ       string
		eventID   string
		eventTime time.Time
	}{
		{"booking.created", "booking.created", "crm_booking_8812", time.Date(2026, 11, 25, 9, 58, 0, 0, time.UTC)},
		{"form.submitted", "form.submitted", "msg_1", sigTime},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			req := &inbound.Request{Header: map[string]string{"webhook-id": "msg_1"}, Body: fixture(t, tt.fixture)}
			got, err := custom.Provider{}.Normalize(req, inbound.Verified{Timestamp: sigTime})
			if err != nil {
				t.Fatal(err)
			}
			p := got[0]
			if len(got) != 1 || p.Type != tt.typ || p.ProviderType != tt.typ || p.DedupeKey != "msg_1" ||
				p.ProviderEventID != tt.eventID || !p.Time.Equal(tt.eventTime) || p.Data[0] != '{' {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"not JSON", `{"type":`, inbound.ErrInvalidJSON},
		{"no type", `{"data":{}}`, inbound.ErrInvalidPayload},
		{"type not a string", `{"type":7,"data":{}}`, inbound.ErrInvalidPayload},
		{"unknown type", `{"type":"payment.recieved","data":{}}`, inbound.ErrUnknownEventType},
		{"derived type", `{"type":"email.send","data":{}}`, inbound.ErrUnknownEventType},
		{"platform type", `{"type":"subscription.disabled","data":{}}`, inbound.ErrUnknownEventType},
		{"unmapped type", `{"type":"provider.unmapped","data":{}}`, inbound.ErrUnknownEventType},
		{"no data", `{"type":"booking.created"}`, inbound.ErrInvalidPayload},
		{"data an array", `{"type":"booking.created","data":[1]}`, inbound.ErrInvalidPayload},
		{"bad timestamp", `{"type":"booking.created","timestamp":"June","data":{}}`, inbound.ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &inbound.Request{Header: map[string]string{"webhook-id": "msg_1"}, Body: []byte(tt.body)}
			_, err := custom.Provider{}.Normalize(req, inbound.Verified{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestUnknownTypeListsAllowed(t *testing.T) {
	_, err := custom.ParseBody([]byte(`{"type":"wedding.happened","data":{}}`))
	for _, want := range []string{"booking.created", "payment.received", "contact.unsubscribed"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("message %q does not list %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "email.send") || strings.Contains(err.Error(), "provider.unmapped") {
		t.Fatalf("message %q lists types a sender may not post", err)
	}
}

func TestZapierSpelling(t *testing.T) {
	ev, err := custom.ParseBody([]byte(`{"event_type":"review.received","data":{"rating":5}}`))
	if err != nil || ev.Type != "review.received" {
		t.Fatalf("got %+v, %v", ev, err)
	}
}
