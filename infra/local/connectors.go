package local

import (
	"context"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// DevStripeKey is the outbound key seeded on dev-stripe: stripe-mock takes any test-mode key.
const DevStripeKey = "sk_test_wedsyncdev"

// seedCredentials gives dev-stripe the outbound credentials act calls stripe-mock with, so
// a booking.cancelled with a refund ends in a refund there.
func (s *Stack) seedCredentials(ctx context.Context, sealer secrets.Sealer) error {
	id := "dev-stripe"
	if _, ok := s.state.Connections["stripe"]; !ok {
		return nil
	}
	sealed, err := connectors.SealSecret(ctx, sealer, s.cfg.Tenant, id, connectors.Secret{APIKey: DevStripeKey})
	if err != nil {
		return err
	}
	creds := &store.Credentials{DB: s.DynamoDB, Table: s.state.Tables[topology.TableCredentials]}
	return creds.Put(ctx, store.Credential{TenantID: s.cfg.Tenant, ConnectionID: id, Kind: "stripe",
		Type: connectors.TypeAPIKey, Sealed: sealed, UpdatedAt: time.Now().UTC()})
}

// connectorEnv points act at the stack's stripe-mock; the other providers keep their
// documented hosts (only the tests point them at loopback servers).
func connectorEnv(f topology.Function, st State) []string {
	if f.Name != "act" || st.StripeMock == "" {
		return nil
	}
	return []string{"WEDSYNC_STRIPE_API_URL=" + st.StripeMock}
}
