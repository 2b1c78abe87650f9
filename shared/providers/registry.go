package providers

import (
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/calendly"
	"github.com/wedsync/webhooks/shared/providers/custom"
	"github.com/wedsync/webhooks/shared/providers/mailchimp"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/providers/paypal"
	"github.com/wedsync/webhooks/shared/providers/stripe"
	"github.com/wedsync/webhooks/shared/providers/zapier"
)

// Registry returns every provider by kind, configured for production. Adding a provider
// means adding it here.
func Registry() map[string]inbound.Provider {
	all := []inbound.Provider{
		stripe.Provider{},
		custom.Provider{},
		calendly.Provider{},
		mailchimp.Provider{},
		mandrill.Provider{},
		paypal.New(),
		zapier.Provider{},
	}
	r := make(map[string]inbound.Provider, len(all))
	for _, p := range all {
		r[p.Kind()] = p
	}
	return r
}
