package stripe_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/stripe"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		fixture string
		typ     string
		eventID string
		created int64
		data    map[string]any
	}{
		{"payment_intent.succeeded", "payment.received", "evt_3QaB1cDeFgHiJkLm0a1b2c3d", 1764064800, map[string]any{
			"payment_id": "pi_3QaB1cDeFgHiJkLm0xYz1234", "amount": 250000.0, "currency": "GBP",
			"customer_id": "cus_RcdEfGhIjKlMn", "customer_email": "alex.smith@example.com",
			"booking_id": "bk_7f3a9c21", "supplier_id": "sup_lumiere_photo", "customer": map[string]any{"name": "Alex Smith"},
		}},
		{"charge.refunded", "payment.refunded", "evt_3QbC2dEfGhIjKlMn1b2c3d4e", 1764151200, map[string]any{
			"payment_id": "pi_3QaB1cDeFgHiJkLm0xYz1234", "amount": 250000.0, "refund_amount": 50000.0, "currency": "GBP",
			"customer_id": "cus_RcdEfGhIjKlMn", "customer_email": "alex.smith@example.com",
			"booking_id": "bk_7f3a9c21", "supplier_id": "sup_lumiere_photo", "customer": map[string]any{"name": "Alex Smith"},
		}},
		{"checkout.session.completed", "checkout.completed", "evt_1QcD3eFgHiJkLmNo2c3d4e5f", 1764237600, map[string]any{
			"payment_id": "pi_3QcD3eFgHiJkLmNo0aaa1111", "amount": 120000.0, "currency": "EUR",
			"customer_email": "jo@example.com", "booking_id": "bk_22", "customer": map[string]any{"name": "Jo Bloggs"},
		}},
		{"customer.created", "provider.unmapped", "evt_1QdE4fGhIjKlMnOp3d4e5f6g", 1764324000, map[string]any{
			"id": "cus_Rz1", "object": "customer", "email": "new@example.com",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := stripe.Provider{}.Normalize(&inbound.Request{Body: fixture(t, tt.fixture)}, inbound.Verified{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d events, want 1", len(got))
			}
			p := got[0]
			if p.Type != tt.typ || p.DedupeKey != tt.eventID || p.ProviderEventID != tt.eventID ||
				p.ProviderType != tt.fixture || !p.Time.Equal(time.Unix(tt.created, 0)) {
				t.Fatalf("got %+v", p)
			}
			var data map[string]any
			if err := json.Unmarshal(p.Data, &data); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(data, tt.data) {
				t.Fatalf("data = %v\nwant   %v", data, tt.data)
			}
		})
	}
}

func TestNormalizeMapsEveryDocumentedType(t *testing.T) {
	want := map[string]string{
		"payment_intent.succeeded": "payment.received", "payment_intent.payment_failed": "payment.failed",
		"invoice.payment_failed": "payment.failed", "charge.refunded": "payment.refunded",
		"charge.dispute.created": "payment.disputed", "invoice.paid": "invoice.paid",
		"checkout.session.completed": "checkout.completed", "charge.succeeded": "provider.unmapped",
	}
	for stripeType, canonical := range want {
		body := []byte(`{"id":"evt_x","object":"event","created":1,"type":"` + stripeType +
			`","data":{"object":{"id":"obj_1","amount":100,"amount_due":100,"amount_paid":100,"amount_total":100,"currency":"usd","charge":"ch_1"}}}`)
		got, err := stripe.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
		if err != nil {
			t.Fatalf("%s: %v", stripeType, err)
		}
		if got[0].Type != canonical {
			t.Errorf("%s → %s, want %s", stripeType, got[0].Type, canonical)
		}
		if canonical != "provider.unmapped" {
			var p struct {
				Amount   int64  `json:"amount"`
				Currency string `json:"currency"`
			}
			if err := json.Unmarshal(got[0].Data, &p); err != nil || p.Amount != 100 || p.Currency != "USD" {
				t.Errorf("%s: data %s lacks amount 100 USD", stripeType, got[0].Data)
			}
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"not JSON", `{"id":`, inbound.ErrInvalidJSON},
		{"empty", ``, inbound.ErrInvalidJSON},
		{"array", `[]`, inbound.ErrInvalidPayload},
		{"no id", `{"type":"payment_intent.succeeded","data":{"object":{}}}`, inbound.ErrInvalidPayload},
		{"no type", `{"id":"evt_1","data":{"object":{}}}`, inbound.ErrInvalidPayload},
		{"no object", `{"id":"evt_1","type":"payment_intent.succeeded","data":{}}`, inbound.ErrInvalidPayload},
		{"object not an object", `{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":"pi"}}`, inbound.ErrInvalidPayload},
		{"amount not a number", `{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"amount":"lots"}}}`, inbound.ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stripe.Provider{}.Normalize(&inbound.Request{Body: []byte(tt.body)}, inbound.Verified{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestUnmappedObjectsOfAnyShape: an unmapped event whose object has fields of other types
// than the mapped objects' (amount as an object) is still kept.
func TestUnmappedObjectsOfAnyShape(t *testing.T) {
	body := []byte(`{"id":"evt_odd","type":"issuing_card.created","created":1,"data":{"object":{"amount":{"value":1},"metadata":{"n":2}}}}`)
	got, err := stripe.Provider{}.Normalize(&inbound.Request{Body: body}, inbound.Verified{})
	if err != nil || got[0].Type != "provider.unmapped" || string(got[0].Data) != `{"amount":{"value":1},"metadata":{"n":2}}` {
		t.Fatalf("got %+v, %v", got, err)
	}
	mapped := []byte(`{"id":"evt_bad","type":"payment_intent.succeeded","created":1,"data":{"object":{"amount":{"value":1}}}}`)
	if _, err := (stripe.Provider{}).Normalize(&inbound.Request{Body: mapped}, inbound.Verified{}); !errors.Is(err, inbound.ErrInvalidPayload) {
		t.Fatalf("a mapped object of the wrong shape: %v", err)
	}
}
