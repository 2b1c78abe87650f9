package reactions

import (
	"encoding/json"
	"strconv"

	"github.com/wedsync/webhooks/shared/envelope"
)

// Derived is one event a reaction calls for, before it is enveloped.
type Derived struct {
	// Reaction names the rule; with the parent's id it makes the child's id.
	Reaction string
	Type     string
	Data     map[string]any
	// Key, when set, replaces the parent's id in the child's id, so that the child exists
	// once per key (one receipt per payment, whichever event reports it).
	Key string
}

type fields map[string]any

func (f fields) str(k string) string {
	s, _ := f[k].(string)
	return s
}

// put sets k when v is a non-empty string or a non-nil number: absent values stay absent.
func put(m map[string]any, k string, v any) {
	switch x := v.(type) {
	case string:
		if x != "" {
			m[k] = x
		}
	case nil:
	default:
		m[k] = x
	}
}

// Rules lists what ev calls for.
func Rules(ev envelope.Envelope) []Derived {
	if ev.Origin == envelope.OriginSync || ev.Origin == envelope.OriginReplay || ev.Origin == envelope.OriginReaction {
		return nil
	}
	var data fields
	if json.Unmarshal(ev.Data, &data) != nil {
		return nil
	}
	pick := func(extra map[string]any, keys ...string) map[string]any {
		m := map[string]any{}
		for _, k := range keys {
			put(m, k, data[k])
		}
		for k, v := range extra {
			put(m, k, v)
		}
		return m
	}
	version := strconv.FormatInt(ev.Time.UnixMilli(), 10)
	switch ev.Type {
	case envelope.BookingCreated:
		return []Derived{
			{Reaction: "booking-confirmation", Type: envelope.EmailSend, Data: pick(map[string]any{
				"template": "booking_confirmation", "recipient": data.str("attendee_email")}, "booking_id", "start_time", "end_time", "location", "meeting_url")},
			{Reaction: "supplier-notification", Type: envelope.NotificationSend, Data: pick(map[string]any{
				"template": "new_booking"}, "booking_id", "supplier_id", "attendee_name", "start_time")},
			{Reaction: "calendar-block", Type: envelope.CalendarBlock, Data: pick(map[string]any{"version": version},
				"booking_id", "supplier_id", "start_time", "end_time")},
		}
	case envelope.BookingCancelled:
		out := []Derived{{Reaction: "calendar-unblock", Type: envelope.CalendarUnblock, Data: pick(map[string]any{"version": version},
			"booking_id", "supplier_id", "start_time", "end_time")}}
		if data["refund_amount"] != nil {
			out = append(out, Derived{Reaction: "refund", Type: envelope.PaymentRefund, Data: pick(nil, "booking_id", "supplier_id", "refund_amount", "payment_id", "currency")})
		}
		return out
	case envelope.PaymentReceived:
		if data.str("payment_id") == "" {
			return nil
		}
		return []Derived{{Reaction: "payment-receipt", Type: envelope.EmailSend, Key: "payment:" + data.str("payment_id"),
			Data: pick(map[string]any{"template": "payment_receipt", "recipient": data.str("customer_email")},
				"payment_id", "amount", "currency", "booking_id", "customer_id")}}
	case envelope.FormSubmitted:
		return []Derived{{Reaction: "form-notification", Type: envelope.NotificationSend,
			Data: pick(map[string]any{"template": "form_submitted"}, "form_id", "form_title", "supplier_id", "couple_name")}}
	case envelope.VendorConnected:
		return []Derived{
			{Reaction: "integration-sync", Type: envelope.IntegrationSync, Data: pick(nil, "vendor_id", "integration_type")},
			{Reaction: "welcome", Type: envelope.EmailSend, Data: pick(map[string]any{
				"template": "welcome", "recipient": data.str("vendor_email")}, "vendor_id")},
		}
	}
	return nil
}

// Envelope makes the derived event of parent: its id from the parent's (or the rule's key)
// and the reaction, the parent's correlation id, the parent as its cause.
func Envelope(parent envelope.Envelope, d Derived) (envelope.Envelope, error) {
	key := parent.ID
	if d.Key != "" {
		key = d.Key
	}
	data, err := json.Marshal(d.Data)
	if err != nil {
		return envelope.Envelope{}, err
	}
	correlation := parent.CorrelationID
	if correlation == "" {
		correlation = parent.ID
	}
	return envelope.Envelope{
		SpecVersion: envelope.SpecVersion, ID: envelope.EventID("reaction:"+parent.TenantID, key+"\x00"+d.Reaction),
		Type: d.Type, Source: "wedsync/reactions", Time: parent.Time, DataContentType: "application/json",
		TenantID: parent.TenantID, ConnectionID: parent.ConnectionID, Provider: "wedsync",
		CorrelationID: correlation, CausationID: parent.ID, Origin: envelope.OriginReaction,
		EventVersion: envelope.Version, Data: data,
	}, nil
}
