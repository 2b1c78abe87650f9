package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// Credential types, as stored beside the sealed secret.
const (
	TypeAPIKey  = "api_key"
	TypeOAuth2  = "oauth2"
	TypeHookURL = "hook_url"
)

// Secret is a connection's outbound credentials, as sealed: an API key (or personal access
// token), an OAuth2 client with its refresh token, or a hook URL (Zapier's is a capability).
type Secret struct {
	APIKey  string        `json:"api_key,omitempty"`
	OAuth2  *OAuth2Client `json:"oauth2,omitempty"`
	HookURL string        `json:"hook_url,omitempty"`
	// FromEmail is the sender of the e-mails sent through Mandrill, when set.
	FromEmail string `json:"from_email,omitempty"`
}

// OAuth2Client is an OAuth2 client of the provider's and the tenant's refresh token.
type OAuth2Client struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// Type says which kind of credentials s holds.
func (s Secret) Type() string {
	switch {
	case s.OAuth2 != nil:
		return TypeOAuth2
	case s.HookURL != "":
		return TypeHookURL
	}
	return TypeAPIKey
}

// Scopes bind a connection's sealed credentials and token to it, apart from each other and
// from its inbound secrets.
func secretScope(tenantID, connectionID string) secrets.Scope {
	return secrets.Scope{TenantID: tenantID, ResourceID: connectionID + "#credentials"}
}

func tokenScope(tenantID, connectionID string) secrets.Scope {
	return secrets.Scope{TenantID: tenantID, ResourceID: connectionID + "#oauth2-token"}
}

// SealSecret seals a connection's outbound credentials for storage.
func SealSecret(ctx context.Context, sealer secrets.Sealer, tenantID, connectionID string, s Secret) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return sealer.Seal(ctx, secretScope(tenantID, connectionID), string(b))
}

// OpenSecret opens a connection's stored outbound credentials.
func OpenSecret(ctx context.Context, sealer secrets.Sealer, cred store.Credential) (Secret, error) {
	plain, err := sealer.Open(ctx, secretScope(cred.TenantID, cred.ConnectionID), cred.Sealed)
	if err != nil {
		return Secret{}, err
	}
	var s Secret
	if err := json.Unmarshal([]byte(plain), &s); err != nil {
		return Secret{}, fmt.Errorf("credentials of %s: %w", cred.ConnectionID, secrets.ErrUnsealable)
	}
	return s, nil
}

// CredentialStore is the part of the credentials table the token store uses.
type CredentialStore interface {
	Get(ctx context.Context, tenantID, connectionID string) (store.Credential, error)
	LeaseRefresh(ctx context.Context, tenantID, connectionID string, rev int64, now, until time.Time) (bool, error)
	SaveToken(ctx context.Context, tenantID, connectionID string, rev int64, sealedToken string, now time.Time) (bool, error)
	ReleaseRefresh(ctx context.Context, tenantID, connectionID string, rev int64) error
}

var _ CredentialStore = (*store.Credentials)(nil)

// StoredTokens keeps one connection's OAuth2 token sealed beside its credentials.
type StoredTokens struct {
	Store        CredentialStore
	Sealer       secrets.Sealer
	TenantID     string
	ConnectionID string
}

var _ TokenStore = (*StoredTokens)(nil)

// Load reads and opens the token and the refresh token to use.
func (t *StoredTokens) Load(ctx context.Context) (StoredToken, error) {
	cred, err := t.Store.Get(ctx, t.TenantID, t.ConnectionID)
	if err != nil {
		return StoredToken{}, err
	}
	out := StoredToken{Revision: cred.TokenRevision, RefreshUntil: cred.RefreshUntil}
	if cred.SealedToken != "" {
		plain, err := t.Sealer.Open(ctx, tokenScope(t.TenantID, t.ConnectionID), cred.SealedToken)
		if err != nil {
			return StoredToken{}, err
		}
		var tok oauth2.Token
		if err := json.Unmarshal([]byte(plain), &tok); err != nil {
			return StoredToken{}, fmt.Errorf("token of %s: %w", t.ConnectionID, secrets.ErrUnsealable)
		}
		out.Token, out.RefreshToken = &tok, tok.RefreshToken
	}
	if out.RefreshToken == "" {
		s, err := OpenSecret(ctx, t.Sealer, cred)
		if err != nil {
			return StoredToken{}, err
		}
		if s.OAuth2 != nil {
			out.RefreshToken = s.OAuth2.RefreshToken
		}
	}
	return out, nil
}

// LeaseRefresh claims the refresh.
func (t *StoredTokens) LeaseRefresh(ctx context.Context, rev int64, now, until time.Time) (bool, error) {
	return t.Store.LeaseRefresh(ctx, t.TenantID, t.ConnectionID, rev, now, until)
}

// Save seals and stores a refreshed token.
func (t *StoredTokens) Save(ctx context.Context, rev int64, tok *oauth2.Token, now time.Time) (bool, error) {
	b, err := json.Marshal(tok)
	if err != nil {
		return false, err
	}
	sealed, err := t.Sealer.Seal(ctx, tokenScope(t.TenantID, t.ConnectionID), string(b))
	if err != nil {
		return false, err
	}
	return t.Store.SaveToken(ctx, t.TenantID, t.ConnectionID, rev, sealed, now)
}

// Release ends a failed refresh's lease.
func (t *StoredTokens) Release(ctx context.Context, rev int64) error {
	return t.Store.ReleaseRefresh(ctx, t.TenantID, t.ConnectionID, rev)
}
