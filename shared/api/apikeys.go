package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/store"
)

// apiKeyKey holds the caller's store.APIKey in a request's context.
type apiKeyCtx struct{}

var apiKeyKey apiKeyCtx

// APIKey is an API key as the API shows it: metadata and a prefix; the key itself appears
// once, when it is created.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix" doc:"The key's first characters, to recognize it."`
	Key       string     `json:"key,omitempty" doc:"The key; shown only now, only its SHA-256 is kept."`
	Status    string     `json:"status" enum:"active,expired,revoked"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// APIKeyBody creates an API key.
type APIKeyBody struct {
	Name      string     `json:"name" minLength:"1" maxLength:"100" doc:"What the key is for."`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the key stops working (RFC 3339, in the future); never when absent."`
}

// APIKeys is a page of API keys.
type APIKeys struct {
	APIKeys    []APIKey `json:"api_keys"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

func (s *Server) registerAPIKeys() {
	tags := []string{"API keys"}
	huma.Register(s.api, huma.Operation{OperationID: "create-api-key", Method: http.MethodPost, Path: "/v1/api-keys",
		Summary: "Create an API key; the key is shown once", Tags: tags, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body APIKeyBody }) (*Output[APIKey], error) {
			return s.createAPIKey(ctx, in.Body)
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-api-keys", Method: http.MethodGet, Path: "/v1/api-keys",
		Summary: "List API keys (prefixes and metadata, never the keys)", Tags: tags},
		func(ctx context.Context, in *ListInput) (*Output[APIKeys], error) {
			tenant := tenantOf(ctx)
			cursor, err := s.Cursors.Open(tenant, "api-keys", in.Cursor)
			if err != nil {
				return nil, invalid(ctx, map[string]string{"cursor": err.Error()})
			}
			page, err := s.Keys.ListByTenant(ctx, tenant, cursor, in.Limit)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := APIKeys{APIKeys: []APIKey{}, NextCursor: s.Cursors.Sign(tenant, "api-keys", page.Next)}
			for _, k := range page.Items {
				out.APIKeys = append(out.APIKeys, s.apiKeyView(k))
			}
			return ok(out), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "revoke-api-key", Method: http.MethodPost, Path: "/v1/api-keys/{id}/revoke",
		Summary: "Revoke an API key: it is refused from now on", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[APIKey], error) {
			k, err := s.Keys.Revoke(ctx, tenantOf(ctx), in.ID, s.Now().UTC())
			if isNotFound(err) {
				return nil, notFound(ctx, "API key")
			}
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(s.apiKeyView(k)), nil
		})
}

func (s *Server) createAPIKey(ctx context.Context, in APIKeyBody) (*Output[APIKey], error) {
	now := s.Now().UTC()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, invalid(ctx, map[string]string{"expires_at": "must be in the future"})
	}
	caller, _ := ctx.Value(apiKeyKey).(store.APIKey)
	k := store.APIKey{TenantID: tenantOf(ctx), TenantName: caller.TenantName, Name: in.Name, CreatedAt: now}
	if in.ExpiresAt != nil {
		k.ExpiresAt = in.ExpiresAt.UTC()
	}
	k, secret, err := store.NewKey(s.Random, k)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.Keys.Put(ctx, k); err != nil {
		return nil, s.fail(ctx, err)
	}
	view := s.apiKeyView(k)
	view.Key = secret
	return ok(view), nil
}

func (s *Server) apiKeyView(k store.APIKey) APIKey {
	v := APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Status: k.Status(s.Now()), CreatedAt: utc(k.CreatedAt)}
	if !k.ExpiresAt.IsZero() {
		t := utc(k.ExpiresAt)
		v.ExpiresAt = &t
	}
	if !k.RevokedAt.IsZero() {
		t := utc(k.RevokedAt)
		v.RevokedAt = &t
	}
	return v
}
