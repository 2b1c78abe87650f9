package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/wedsync/webhooks/shared/store"
)

// authenticate finds the caller's key: "Bearer" in any case, a key that exists, belongs to
// a tenant, and is neither revoked nor expired.
func (s *Server) authenticate(ctx context.Context, header string) (store.APIKey, *Error) {
	key, ok := bearer(header)
	if !ok {
		return store.APIKey{}, newError(ctx, http.StatusUnauthorized, "send Authorization: Bearer <API key>")
	}
	found, err := s.Keys.Lookup(ctx, store.HashKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, newError(ctx, http.StatusUnauthorized, "unknown API key")
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "API key lookup failed", "request_id", requestID(ctx), "error", err.Error())
		return store.APIKey{}, internal(ctx)
	}
	if found.TenantID == "" {
		s.Logger.WarnContext(ctx, "API key without a tenant refused", "request_id", requestID(ctx), "key_id", found.ID)
		return store.APIKey{}, newError(ctx, http.StatusUnauthorized, "unknown API key")
	}
	if !found.TenantDisabledAt.IsZero() {
		return store.APIKey{}, newError(ctx, http.StatusUnauthorized, "this API key's tenant is disabled")
	}
	switch found.Status(s.Now()) {
	case store.KeyRevoked:
		return store.APIKey{}, newError(ctx, http.StatusUnauthorized, "this API key was revoked")
	case store.KeyExpired:
		return store.APIKey{}, newError(ctx, http.StatusUnauthorized, "this API key has expired")
	}
	return found, nil
}

// bearer returns the token of an Authorization header whose scheme is Bearer, in any case.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
