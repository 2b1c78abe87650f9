package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/wedsync/webhooks/shared/envelope"
)

// VersionHeader names the dated version a request wants its answer shaped at.
const VersionHeader = "WedSync-Version"

const versionKey ctxKey = 100

// negotiateVersion reads WedSync-Version (the latest when absent), refuses an unknown one
// with 422, names the version in the answer and, for a deprecated one, adds Deprecation,
// Sunset and a Link to the changelog. It returns the request with the version in its
// context, or false when it has answered.
func (s *Server) negotiateVersion(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	name := strings.TrimSpace(r.Header.Get(VersionHeader))
	if name == "" {
		name = envelope.Latest()
	}
	v, ok := envelope.LookupVersion(name)
	if !ok {
		writeError(w, invalid(r.Context(), map[string]string{VersionHeader: "supported versions: " + strings.Join(envelope.VersionNames(), ", ")}))
		return r, false
	}
	w.Header().Set(VersionHeader, v.Name)
	deprecationHeaders(w.Header(), v, baseURL(r.Context(), s.PublicURL))
	return r.WithContext(context.WithValue(r.Context(), versionKey, v.Name)), true
}

// versionOf is the version the request's answer is shaped at.
func versionOf(ctx context.Context) string {
	if v, ok := ctx.Value(versionKey).(string); ok {
		return v
	}
	return envelope.Latest()
}
