package reactions_test

import (
	"encoding/json"
	"testing"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/envelope/envelopetest"
	"github.com/wedsync/webhooks/shared/reactions"
)

// TestDerivedEventsValidate: every event the reactions derive from the catalog's examples
// validates against its schema at every version.
func TestDerivedEventsValidate(t *testing.T) {
	derived := map[string]bool{}
	for _, doc := range envelope.Catalog() {
		for _, d := range reactions.Rules(doc.ExampleEnvelope()) {
			env, err := reactions.Envelope(doc.ExampleEnvelope(), d)
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := json.Marshal(env)
			for _, v := range envelope.VersionNames() {
				rendered, err := envelope.Render(stored, v)
				if err != nil {
					t.Fatal(err)
				}
				envelopetest.Validate(t, rendered)
			}
			derived[env.Type] = true
		}
	}
	for _, typ := range []string{envelope.EmailSend, envelope.NotificationSend, envelope.CalendarBlock, envelope.CalendarUnblock,
		envelope.PaymentRefund, envelope.IntegrationSync} {
		if !derived[typ] {
			t.Errorf("no %s derived from the catalog's examples", typ)
		}
	}
}
