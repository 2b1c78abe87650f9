package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/store"
)

// CredentialStore keeps connections' outbound credentials.
type CredentialStore interface {
	Put(ctx context.Context, cred store.Credential) error
}

// CredentialsBody sets the credentials we call a connection's provider with.
type CredentialsBody struct {
	APIKey  string      `json:"api_key,omitempty" maxLength:"512" doc:"Stripe: a secret or restricted key (sk_… or rk_…). Mandrill: an API key. Calendly: a personal access token."`
	OAuth2  *OAuth2Body `json:"oauth2,omitempty" doc:"Calendly: your OAuth application's client and the refresh token the supplier granted it."`
	HookURL string      `json:"hook_url,omitempty" maxLength:"2048" doc:"Zapier: the catch hook to notify (https://hooks.zapier.com/hooks/catch/…)."`
	// FromEmail is not secret but travels with the key it is used with.
	FromEmail string `json:"from_email,omitempty" maxLength:"254" doc:"Mandrill: the sender of the e-mails (on a verified sending domain); Mandrill's default when absent."`
}

// OAuth2Body is an OAuth2 client and the refresh token it was granted.
type OAuth2Body struct {
	ClientID     string `json:"client_id" minLength:"1" maxLength:"256"`
	ClientSecret string `json:"client_secret" minLength:"1" maxLength:"512"`
	RefreshToken string `json:"refresh_token" minLength:"1" maxLength:"2048"`
}

// ConnectionCredentials is what the API shows of outbound credentials: their type, never
// their secret.
type ConnectionCredentials struct {
	ConnectionID string    `json:"connection_id"`
	Kind         string    `json:"kind"`
	Type         string    `json:"type" enum:"api_key,oauth2,hook_url"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (s *Server) registerCredentials() {
	huma.Register(s.api, huma.Operation{OperationID: "put-connection-credentials", Method: http.MethodPut,
		Path: "/v1/connections/{id}/credentials", Tags: []string{"Connections"},
		Summary:     "Set the credentials we call the provider's API with",
		Description: "Stripe, Mandrill and Calendly take an api_key, Calendly an oauth2 client instead, Zapier a hook_url. They are sealed and never shown again; putting new ones replaces the old.",
	}, func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body CredentialsBody
	}) (*Output[ConnectionCredentials], error) {
		return s.putCredentials(ctx, in.ID, in.Body)
	})
}

func (s *Server) putCredentials(ctx context.Context, id string, in CredentialsBody) (*Output[ConnectionCredentials], error) {
	conn, err := s.ownedConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	secret, bad := s.outboundSecret(conn.Kind, in)
	if len(bad) > 0 {
		return nil, invalid(ctx, bad)
	}
	sealed, err := connectors.SealSecret(ctx, s.Sealer, conn.TenantID, conn.ID, secret)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	cred := store.Credential{TenantID: conn.TenantID, ConnectionID: conn.ID, Kind: conn.Kind, Type: secret.Type(),
		Sealed: sealed, UpdatedAt: s.Now().UTC()}
	if err := s.Credentials.Put(ctx, cred); err != nil {
		return nil, s.fail(ctx, err)
	}
	return ok(ConnectionCredentials{ConnectionID: conn.ID, Kind: conn.Kind, Type: cred.Type, UpdatedAt: cred.UpdatedAt}), nil
}

// outboundSecret checks the body against what the kind's API takes.
func (s *Server) outboundSecret(kind string, in CredentialsBody) (connectors.Secret, map[string]string) {
	bad := map[string]string{}
	out := connectors.Secret{APIKey: strings.TrimSpace(in.APIKey), HookURL: in.HookURL, FromEmail: strings.TrimSpace(in.FromEmail)}
	if c := in.OAuth2; c != nil {
		out.OAuth2 = &connectors.OAuth2Client{ClientID: strings.TrimSpace(c.ClientID),
			ClientSecret: strings.TrimSpace(c.ClientSecret), RefreshToken: strings.TrimSpace(c.RefreshToken)}
	}
	only := func(field, kinds string) { bad[field] = "only " + kinds + " connections take " + field }
	switch kind {
	case "stripe":
		if !strings.HasPrefix(out.APIKey, "sk_") && !strings.HasPrefix(out.APIKey, "rk_") {
			bad["api_key"] = "required: a Stripe secret or restricted key (sk_… or rk_…)"
		}
	case "mandrill":
		if out.APIKey == "" {
			bad["api_key"] = "required: a Mandrill API key"
		}
		if out.FromEmail != "" && !strings.Contains(out.FromEmail, "@") {
			bad["from_email"] = "must be an e-mail address"
		}
	case "calendly":
		if (out.APIKey == "") == (out.OAuth2 == nil) {
			bad["api_key"] = "send either a personal access token as api_key or an oauth2 client"
		}
	case "zapier":
		if err := connectors.CheckZapierHook(in.HookURL, s.AllowLoopbackEndpoints); err != nil {
			bad["hook_url"] = "required: a Zapier catch hook, https://hooks.zapier.com/hooks/catch/…"
		}
	default:
		bad["connection"] = "we call no API of " + kind + " connections; they take no credentials"
		return out, bad
	}
	if out.OAuth2 != nil && kind != "calendly" {
		only("oauth2", "Calendly")
	}
	if in.HookURL != "" && kind != "zapier" {
		only("hook_url", "Zapier")
	}
	if in.FromEmail != "" && kind != "mandrill" {
		only("from_email", "Mandrill")
	}
	if in.APIKey != "" && kind == "zapier" {
		only("api_key", "Stripe, Mandrill and Calendly")
	}
	return out, bad
}
