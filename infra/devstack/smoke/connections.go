package smoke

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/topology"
)

var (
	// ErrNothingToSend means no provider's secret was given and the stack is not the local one.
	ErrNothingToSend = errors.New("no provider to smoke")
	// ErrNoTrustedCA means a PayPal sample was asked of a stack that trusts no test CA.
	ErrNoTrustedCA = errors.New("PayPal samples can be signed for the local stack only")
)

// Connections are the connections a smoke run of baseURL is given. For each provider:
// the secret in SECRET_<KIND> (Mailchimp's is its URL key, PayPal's its webhook id) of the
// connection CONNECTION_<KIND> (default dev-<kind>); and when baseURL is the running local
// stack (running, from .dev/stack.json), its seeded connection for every provider whose secret
// was not given. PayPal's sample is signed with the local stack's test CA, which only that
// stack trusts.
func Connections(baseURL string, getenv func(string) string, running *local.State) ([]local.ConnectionState, error) {
	base := strings.TrimRight(baseURL, "/")
	if running != nil && (!running.Running || strings.TrimRight(running.URL, "/") != base) {
		running = nil
	}
	var conns []local.ConnectionState
	for _, kind := range local.ImplementedKinds(topology.Default()) {
		suffix := strings.ToUpper(kind)
		secret := getenv("SECRET_" + suffix)
		seeded, isLocal := local.ConnectionState{}, false
		if running != nil {
			seeded, isLocal = running.Connections[kind]
		}
		if secret == "" {
			if isLocal {
				conns = append(conns, seeded)
			}
			continue
		}
		id := getenv("CONNECTION_" + suffix)
		if id == "" {
			id = "dev-" + kind
		}
		conn := local.ConnectionState{ID: id, Kind: kind, IngestURL: base + "/webhooks/" + kind + "/" + id, Secret: secret}
		if kind == "paypal" {
			if !isLocal {
				return nil, fmt.Errorf("%w: unset SECRET_PAYPAL for %s", ErrNoTrustedCA, base)
			}
			conn.CertURL, conn.SignerKey = seeded.CertURL, seeded.SignerKey
		}
		conns = append(conns, conn)
	}
	if len(conns) == 0 {
		return nil, fmt.Errorf("%w at %s: give SECRET_<KIND> and CONNECTION_<KIND> of a connection (kinds: %s)",
			ErrNothingToSend, base, strings.Join(local.ImplementedKinds(topology.Default()), ", "))
	}
	return conns, nil
}
