package commands

import (
	"encoding/json"

	"github.com/wedsync/webhooks/shared/envelope"
)

// Provider kinds whose APIs commands call.
const (
	Stripe   = "stripe"
	Mandrill = "mandrill"
	Calendly = "calendly"
	Zapier   = "zapier"
)

// Types lists the command types act runs, each with the provider whose credentials it needs.
var Types = map[string]string{
	envelope.PaymentRefund:    Stripe,
	envelope.EmailSend:        Mandrill,
	envelope.IntegrationSync:  Calendly,
	envelope.NotificationSend: Zapier,
}

// ProviderOf returns the provider kind a command needs, and whether ev is a command act
// runs at all: an integration.sync is one only for Calendly.
func ProviderOf(ev envelope.Envelope) (string, bool) {
	kind, ok := Types[ev.Type]
	if !ok || ev.Origin == envelope.OriginReplay {
		return "", false
	}
	if ev.Type == envelope.IntegrationSync {
		var data struct {
			IntegrationType string `json:"integration_type"`
		}
		_ = json.Unmarshal(ev.Data, &data)
		if data.IntegrationType != "" && data.IntegrationType != Calendly {
			return "", false
		}
	}
	return kind, true
}
