package commands_test

import (
	"encoding/json"
	"testing"

	"github.com/wedsync/webhooks/shared/commands"
	"github.com/wedsync/webhooks/shared/envelope"
)

func TestProviderOf(t *testing.T) {
	for _, tc := range []struct {
		typ, origin, data, kind string
		ok                      bool
	}{
		{envelope.PaymentRefund, envelope.OriginReaction, `{}`, "stripe", true},
		{envelope.EmailSend, envelope.OriginReaction, `{}`, "mandrill", true},
		{envelope.NotificationSend, envelope.OriginReaction, `{}`, "zapier", true},
		{envelope.IntegrationSync, envelope.OriginReaction, `{"integration_type":"calendly"}`, "calendly", true},
		{envelope.IntegrationSync, envelope.OriginReaction, `{}`, "calendly", true},
		{envelope.IntegrationSync, envelope.OriginReaction, `{"integration_type":"hubspot"}`, "", false},
		{envelope.PaymentRefund, envelope.OriginReplay, `{}`, "", false},
		{envelope.CalendarBlock, envelope.OriginReaction, `{}`, "", false},
		{envelope.BookingCreated, envelope.OriginProvider, `{}`, "", false},
		{envelope.CommandSucceeded, envelope.OriginReaction, `{}`, "", false},
	} {
		kind, ok := commands.ProviderOf(envelope.Envelope{Type: tc.typ, Origin: tc.origin, Data: json.RawMessage(tc.data)})
		if kind != tc.kind || ok != tc.ok {
			t.Errorf("%s (%s, %s): %q %v, want %q %v", tc.typ, tc.origin, tc.data, kind, ok, tc.kind, tc.ok)
		}
	}
}
