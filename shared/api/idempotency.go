package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wedsync/webhooks/shared/secrets"
)

// idempotent runs a write once per tenant, route and key: a repeat with the same body gets
// the first answer; with another body, 409. The answer is kept sealed, bound to the tenant
// and the key's scope, since it may carry a secret shown once (a created or rotated
// connection's or subscription's, a new API key).
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, tenant, key string) {
	ctx := r.Context()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		writeError(w, newError(ctx, http.StatusBadRequest, "unreadable body"))
		return
	}
	sum := sha256.Sum256(body)
	scope := tenant + "\x00" + r.Method + " " + r.URL.Path + "\x00" + key
	sealScope := idempotencySealScope(tenant, scope)
	prev, claimed, err := s.Idempotency.Begin(ctx, scope, hex.EncodeToString(sum[:]), s.Now())
	if err != nil {
		s.Logger.ErrorContext(ctx, "idempotency claim failed", "request_id", requestID(ctx), "error", err.Error())
		writeError(w, internal(ctx))
		return
	}
	if !claimed {
		switch {
		case prev.RequestHash != hex.EncodeToString(sum[:]):
			writeError(w, newError(ctx, http.StatusConflict, "this Idempotency-Key was used with a different request"))
		case !prev.Done:
			writeError(w, newError(ctx, http.StatusConflict, "a request with this Idempotency-Key is in progress"))
		default:
			answer, err := s.Sealer.Open(ctx, sealScope, prev.SealedBody)
			if err != nil {
				s.Logger.ErrorContext(ctx, "idempotent answer unreadable", "request_id", requestID(ctx), "error", err.Error())
				writeError(w, internal(ctx))
				return
			}
			w.Header().Set("content-type", "application/json")
			w.Header().Set("idempotent-replayed", "true")
			w.WriteHeader(prev.Status)
			_, _ = w.Write([]byte(answer))
		}
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, r)
	if rec.Code >= 500 || rec.Code == http.StatusConflict {
		// A conflict with a concurrent write is worth retrying with the same key.
		_ = s.Idempotency.Abandon(ctx, scope)
	} else if err := s.remember(r, scope, sealScope, rec); err != nil {
		s.Logger.ErrorContext(ctx, "idempotency record failed", "request_id", requestID(ctx), "error", err.Error())
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// remember seals the answer and records it; a record left pending makes a repeat 409.
func (s *Server) remember(r *http.Request, scope string, sealScope secrets.Scope, rec *httptest.ResponseRecorder) error {
	sealed, err := s.Sealer.Seal(r.Context(), sealScope, rec.Body.String())
	if err != nil {
		return err
	}
	return s.Idempotency.Finish(r.Context(), scope, rec.Code, sealed)
}

// idempotencySealScope binds a remembered answer to its tenant and Idempotency-Key scope,
// so it opens for no other.
func idempotencySealScope(tenant, scope string) secrets.Scope {
	return secrets.IdempotencyScope(tenant, scope)
}
