package reactions_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/reactions"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func parent(id, typ, origin, data string) envelope.Envelope {
	return envelope.Envelope{ID: id, Type: typ, Origin: origin, TenantID: "t", CorrelationID: "corr_" + id, Time: t0, Data: json.RawMessage(data)}
}

func TestRules(t *testing.T) {
	booking := `{"booking_id":"bk_1","supplier_id":"sup_1","start_time":"2027-06-14T13:00:00Z","end_time":"2027-06-14T23:00:00Z","attendee_email":"a@example.com","attendee_name":"A"}`
	tests := []struct {
		name  string
		ev    envelope.Envelope
		types []string
	}{
		{"booking created", parent("e1", "booking.created", "provider", booking), []string{"email.send", "notification.send", "calendar.block"}},
		{"booking cancelled with refund", parent("e2", "booking.cancelled", "provider", `{"booking_id":"bk_1","refund_amount":5000}`), []string{"calendar.unblock", "payment.refund"}},
		{"booking cancelled without refund", parent("e3", "booking.cancelled", "provider", `{"booking_id":"bk_1"}`), []string{"calendar.unblock"}},
		{"payment received", parent("e4", "payment.received", "provider", `{"payment_id":"pi_1","amount":100,"currency":"GBP","customer_email":"c@example.com"}`), []string{"email.send"}},
		{"form submitted", parent("e5", "form.submitted", "provider", `{"form_id":"f1"}`), []string{"notification.send"}},
		{"vendor connected", parent("e6", "vendor.connected", "provider", `{"vendor_id":"v1","vendor_email":"v@example.com","integration_type":"calendly"}`), []string{"integration.sync", "email.send"}},
		{"synced booking", parent("e7", "booking.created", "sync", booking), nil},
		{"replayed booking", parent("e8", "booking.created", "replay", booking), nil},
		{"derived event", parent("e9", "email.send", "reaction", `{}`), nil},
		{"unrelated", parent("e10", "review.received", "provider", `{}`), nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range reactions.Rules(tt.ev) {
			got = append(got, d.Type)
		}
		if len(got) != len(tt.types) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.types)
			continue
		}
		for i := range got {
			if got[i] != tt.types[i] {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.types)
			}
		}
	}
}

func TestDerivedEnvelope(t *testing.T) {
	p := parent("evt_parent", "booking.created", "provider", `{"booking_id":"bk_1","attendee_email":"a@example.com","start_time":"2027-06-14T13:00:00Z"}`)
	rules := reactions.Rules(p)
	a, _ := reactions.Envelope(p, rules[0])
	b, _ := reactions.Envelope(p, rules[0])
	c, _ := reactions.Envelope(p, rules[2])
	if a.ID != b.ID || a.ID == c.ID || a.CausationID != "evt_parent" || a.CorrelationID != "corr_evt_parent" || a.Origin != "reaction" {
		t.Fatalf("derived %+v / %+v", a, c)
	}
	var data map[string]any
	_ = json.Unmarshal(a.Data, &data)
	if data["template"] != "booking_confirmation" || data["recipient"] != "a@example.com" || data["booking_id"] != "bk_1" {
		t.Fatalf("email data %v", data)
	}
	_ = json.Unmarshal(c.Data, &data)
	if data["version"] == nil || data["booking_id"] != "bk_1" {
		t.Fatalf("calendar data %v", data)
	}
	r1 := parent("evt_pay_1", "payment.received", "provider", `{"payment_id":"pi_9"}`)
	r2 := parent("evt_pay_2", "payment.received", "provider", `{"payment_id":"pi_9"}`)
	x, _ := reactions.Envelope(r1, reactions.Rules(r1)[0])
	y, _ := reactions.Envelope(r2, reactions.Rules(r2)[0])
	if x.ID != y.ID {
		t.Fatal("two reports of one payment made two receipts")
	}
}
