package act

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85"
	"golang.org/x/oauth2"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// ErrNoConnection means the tenant has no connection of the kind with credentials.
var ErrNoConnection = errors.New("tenant has no connection with credentials for this provider")

// CredentialStore is the credentials table as act uses it.
type CredentialStore interface {
	connectors.CredentialStore
	ListByTenant(ctx context.Context, tenantID string) ([]store.CredentialRef, error)
}

var _ CredentialStore = (*store.Credentials)(nil)

// Connection is a tenant's connection to a provider, ready to call it: its credentials
// opened and its client stack built.
type Connection struct {
	ID, TenantID, Kind string
	Secret             connectors.Secret
	Provider           connectors.Provider
	// HTTP is the connection's client: allow-listed hosts, shared rate limit, retries, cache.
	HTTP *http.Client
	// Stripe is the stripe-go client riding on HTTP (Stripe connections only).
	Stripe *stripe.Client
}

// Connections finds and builds a tenant's connection of a kind.
type Connections interface {
	For(ctx context.Context, tenantID, kind string) (*Connection, error)
}

// ConnectionStore loads connections, to skip the credentials of one deleted or disabled.
type ConnectionStore interface {
	Get(ctx context.Context, id string) (store.Connection, error)
}

// Clients builds each connection's client stack and keeps it for TTL, so a warm container
// keeps its GET cache and its OAuth2 token.
type Clients struct {
	Credentials CredentialStore
	// Connections, when set, must hold each connection active for its credentials to be used.
	Connections ConnectionStore
	Sealer      secrets.Sealer
	Buckets     connectors.BucketStore
	// Providers are the providers as resolved for the stage; Loopback allows loopback hook
	// URLs (the local stack and the tests).
	Providers map[string]connectors.Provider
	Loopback  bool
	// TTL keeps a built connection; GetTTL is its GET cache's lifetime.
	TTL, GetTTL time.Duration
	Clock       connectors.Clock
	// Retry is the retry policy; zero means the default.
	Retry connectors.Retry
	// Transport is the base transport; nil means the connectors default.
	Transport http.RoundTripper

	mu      sync.Mutex
	entries map[string]clientEntry
}

type clientEntry struct {
	conn    *Connection
	expires time.Time
}

var _ Connections = (*Clients)(nil)

// For returns the tenant's first connection of kind that has credentials; ErrNoConnection
// when it has none.
func (c *Clients) For(ctx context.Context, tenantID, kind string) (*Connection, error) {
	key, now := tenantID+"\x00"+kind, c.Clock.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.conn, nil
	}
	refs, err := c.Credentials.ListByTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		if ref.Kind != kind {
			continue
		}
		usable, err := c.active(ctx, tenantID, ref.ConnectionID)
		if err != nil {
			return nil, err
		}
		if !usable {
			continue
		}
		cred, err := c.Credentials.Get(ctx, tenantID, ref.ConnectionID)
		if err != nil {
			return nil, err
		}
		conn, err := c.build(ctx, cred)
		if err != nil {
			return nil, err
		}
		if c.TTL > 0 {
			c.mu.Lock()
			if c.entries == nil {
				c.entries = map[string]clientEntry{}
			}
			c.entries[key] = clientEntry{conn: conn, expires: now.Add(c.TTL)}
			c.mu.Unlock()
		}
		return conn, nil
	}
	return nil, fmt.Errorf("%s for tenant %s: %w", kind, tenantID, ErrNoConnection)
}

// active says the connection still exists, belongs to the tenant and is active.
func (c *Clients) active(ctx context.Context, tenantID, id string) (bool, error) {
	if c.Connections == nil {
		return true, nil
	}
	conn, err := c.Connections.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return conn.TenantID == tenantID && conn.Status == store.ConnectionActive, nil
}

func (c *Clients) build(ctx context.Context, cred store.Credential) (*Connection, error) {
	secret, err := connectors.OpenSecret(ctx, c.Sealer, cred)
	if err != nil {
		return nil, err
	}
	p, ok := c.Providers[cred.Kind]
	if !ok {
		return nil, fmt.Errorf("connection %s: no provider %q", cred.ConnectionID, cred.Kind)
	}
	if cred.Kind == "zapier" {
		if err := connectors.CheckZapierHook(secret.HookURL, c.Loopback); err != nil {
			return nil, fmt.Errorf("connection %s: %w", cred.ConnectionID, err)
		}
		if p, err = connectors.Resolve(p, connectors.Endpoints{BaseURL: secret.HookURL}, c.Loopback); err != nil {
			return nil, err
		}
	}
	conn := &Connection{ID: cred.ConnectionID, TenantID: cred.TenantID, Kind: cred.Kind, Secret: secret, Provider: p}
	opts := connectors.Options{
		Provider: p, CacheTTL: c.GetTTL, Retry: c.Retry, Clock: c.Clock, Transport: c.Transport,
		Limiter: &connectors.SharedBucket{Buckets: c.Buckets, Key: "connector#" + cred.ConnectionID, Shape: p.Rate.Bucket(), Clock: c.Clock},
	}
	switch {
	case cred.Kind == "stripe":
		opts.Auth = connectors.Bearer(secret.APIKey)
	case secret.OAuth2 != nil:
		opts.Auth = connectors.OAuth2Auth{Source: &connectors.SharedTokenSource{
			Config: oauth2.Config{ClientID: secret.OAuth2.ClientID, ClientSecret: secret.OAuth2.ClientSecret,
				Endpoint: oauth2.Endpoint{TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams}},
			Store: &connectors.StoredTokens{Store: c.Credentials, Sealer: c.Sealer, TenantID: cred.TenantID, ConnectionID: cred.ConnectionID},
			HTTP:  connectors.TokenClient(p, c.Transport), Clock: c.Clock, Skew: 30 * time.Second,
		}}
	case cred.Kind == "calendly":
		opts.Auth = connectors.Bearer(secret.APIKey)
	}
	conn.HTTP = connectors.New(opts)
	if cred.Kind == "stripe" {
		conn.Stripe = newStripe(p.BaseURL, secret.APIKey, conn.HTTP)
	}
	return conn, nil
}

// newStripe is stripe-go on our client stack, with its own retries off (ours run beneath).
func newStripe(baseURL, key string, httpClient *http.Client) *stripe.Client {
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL: stripe.String(baseURL), HTTPClient: httpClient, MaxNetworkRetries: stripe.Int64(0),
		EnableTelemetry: stripe.Bool(false), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	return stripe.NewClient(key, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))
}
