package providers

import (
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/custom"
	"github.com/wedsync/webhooks/shared/providers/stripe"
)

// Registry returns every provider by kind. Adding a provider means adding it here.
func Registry() map[string]inbound.Provider {
	all := []inbound.Provider{
		stripe.Provider{},
		custom.Provider{},
	}
	r := make(map[string]inbound.Provider, len(all))
	for _, p := range all {
		r[p.Kind()] = p
	}
	return r
}
