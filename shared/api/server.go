package api

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// OpenAPIPath serves the OpenAPI 3.1 document (Document), without an API key.
const OpenAPIPath = "/v1/openapi.json"

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// KeyStore keeps API keys: found by hash, listed and revoked per tenant.
type KeyStore interface {
	Lookup(ctx context.Context, hash string) (store.APIKey, error)
	Put(ctx context.Context, key store.APIKey) error
	ListByTenant(ctx context.Context, tenantID, cursor string, limit int32) (store.Page[store.APIKey], error)
	Revoke(ctx context.Context, tenantID, id string, at time.Time) (store.APIKey, error)
}

// ConnectionStore keeps connections.
type ConnectionStore interface {
	Get(ctx context.Context, id string) (store.Connection, error)
	Put(ctx context.Context, conn store.Connection) error
	Update(ctx context.Context, conn store.Connection) error
	Delete(ctx context.Context, tenantID, id string) error
	ListByTenant(ctx context.Context, tenantID, cursor string, limit int32) (store.Page[store.Connection], error)
}

// SubscriptionStore keeps subscriptions.
type SubscriptionStore interface {
	Create(ctx context.Context, sub store.Subscription) error
	Update(ctx context.Context, sub store.Subscription) error
	Get(ctx context.Context, id string) (store.Subscription, error)
	Delete(ctx context.Context, tenantID, id string) error
	ListByTenant(ctx context.Context, tenantID, cursor string, limit int32, keep func(store.Subscription) bool) (store.Page[store.Subscription], error)
}

// EventStore reads events.
type EventStore interface {
	Get(ctx context.Context, id string) (store.Event, error)
	NextReplay(ctx context.Context, id string) (int, error)
	ListByTenant(ctx context.Context, tenantID string, f store.EventFilter, cursor string, limit int32) (store.Page[store.Event], error)
}

// IdempotencyStore remembers writes by Idempotency-Key, with their answers sealed.
type IdempotencyStore interface {
	Begin(ctx context.Context, scope, requestHash string, now time.Time) (store.Idempotent, bool, error)
	Finish(ctx context.Context, scope string, status int, sealedBody string) error
	Abandon(ctx context.Context, scope string) error
}

// RateLimiter counts a key's uses per second, and per window, across every container.
type RateLimiter interface {
	Take(ctx context.Context, key string, perSecond int, now time.Time) (bool, error)
	TakeWindow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, time.Time, error)
}

// DefaultRatePerSecond is each tenant's request rate on the management API.
const DefaultRatePerSecond = 50

// Server is the management API.
type Server struct {
	Keys          KeyStore
	Connections   ConnectionStore
	Subscriptions SubscriptionStore
	Events        EventStore
	Idempotency   IdempotencyStore
	Deliveries    DeliveryStore
	Credentials   CredentialStore
	Tester        TestSender
	// Jobs starts and reads background jobs (a contact's erasure).
	Jobs JobService
	// RateLimits, when set, holds each tenant to the rates of Limits.
	RateLimits RateLimiter
	// Limits are each tenant's rates and quotas; the quotas are counted by the connection
	// and subscription stores (store.Quota) and only documented here.
	Limits  Limits
	Sealer  secrets.Sealer
	Cursors Cursors
	// PublicURL is the base of ingest URLs; empty means the request's own host.
	PublicURL string
	// AllowLoopbackEndpoints is the local stack's SSRF exception; never set in AWS.
	AllowLoopbackEndpoints bool
	Now                    func() time.Time
	Random                 io.Reader
	Logger                 *slog.Logger

	mux *http.ServeMux
	api huma.API
	// document is the served OpenAPI document, made on first use.
	document     []byte
	documentOnce sync.Once
}

// Build registers every operation; call it once before serving.
func (s *Server) Build() *Server {
	installErrors()
	if s.Random == nil {
		s.Random = rand.Reader
	}
	cfg := huma.DefaultConfig("WedSync Webhooks management API", "1.0.0")
	cfg.OpenAPIPath = ""
	cfg.DocsPath, cfg.SchemasPath = "", ""
	cfg.CreateHooks = nil
	cfg.Info.Description = "Connections, subscriptions and events of one tenant, chosen by the bearer API key."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{"bearer": {Type: "http", Scheme: "bearer"}}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	s.mux = http.NewServeMux()
	s.api = humago.New(s.mux, cfg)
	s.registerEventTypes()
	s.registerAPIKeys()
	s.registerConnections()
	s.registerSubscriptions()
	s.registerEvents()
	s.registerDeliveries()
	s.registerReplay()
	s.registerRecover()
	s.registerCredentials()
	s.registerJobs()
	s.documentLimits()
	return s
}

// OpenAPI is the API's OpenAPI 3.1 document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// ServeHTTP answers unknown routes, authenticates, applies Idempotency-Key, then runs the
// operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if requestID(ctx) == "" {
		ctx = context.WithValue(ctx, requestIDKey, s.newID("req_"))
	}
	r = r.WithContext(ctx)
	switch {
	case r.URL.Path == OpenAPIPath && r.Method == http.MethodGet:
		s.serveDocument(w)
		return
	case r.URL.Path == ChangelogPath && r.Method == http.MethodGet:
		s.serveChangelog(w)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		probe := httptest.NewRecorder()
		s.mux.ServeHTTP(probe, r)
		if probe.Code == http.StatusMethodNotAllowed {
			w.Header().Set("allow", probe.Header().Get("allow"))
			writeError(w, newError(ctx, http.StatusMethodNotAllowed, "method not allowed"))
			return
		}
		writeError(w, newError(ctx, http.StatusNotFound, "no such route"))
		return
	}
	caller, err := s.authenticate(ctx, r.Header.Get("authorization"))
	if err != nil {
		writeError(w, err)
		return
	}
	tenant := caller.TenantID
	ctx = context.WithValue(ctx, tenantKey, tenant)
	ctx = context.WithValue(ctx, apiKeyKey, caller)
	ctx = context.WithValue(ctx, baseURLKey, requestBase(r))
	r = r.WithContext(ctx)
	r, versioned := s.negotiateVersion(w, r)
	if !versioned {
		return
	}
	if s.RateLimits != nil {
		ok, err := s.RateLimits.Take(ctx, "api#"+tenant, s.Limits.withDefaults().RequestsPerSecond, s.Now())
		if err != nil {
			s.Logger.ErrorContext(ctx, "rate limit failed", "request_id", requestID(ctx), "error", err.Error())
		} else if !ok {
			w.Header().Set("retry-after", "1")
			writeError(w, newError(ctx, http.StatusTooManyRequests, "too many requests; retry after a second"))
			return
		}
	}
	if s.limitOperation(w, r, tenant) {
		return
	}
	if key := r.Header.Get("idempotency-key"); key != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.idempotent(w, r, tenant, key)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// requestBase is the scheme and host the request came to.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("x-forwarded-proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// baseURL is where ingest URLs live: the configured public URL, else the request's host.
func baseURL(ctx context.Context, public string) string {
	if public != "" {
		return strings.TrimSuffix(public, "/")
	}
	b, _ := ctx.Value(baseURLKey).(string)
	return b
}

func tenantOf(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey).(string)
	return t
}

// newID returns prefix and 20 random base32 characters.
func (s *Server) newID(prefix string) string {
	id, _ := store.NewID(s.Random, prefix)
	return id
}

// randomBytes returns n random bytes.
func (s *Server) randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(s.Random, b)
	return b
}

// serveDocument answers the OpenAPI document, its servers WEDSYNC_PUBLIC_URL when set.
func (s *Server) serveDocument(w http.ResponseWriter) {
	s.documentOnce.Do(func() {
		doc, err := s.Document(s.PublicURL)
		if err != nil {
			s.Logger.Error("the OpenAPI document cannot be made", "error", err.Error())
			return
		}
		s.document = doc
	})
	if s.document == nil {
		writeError(w, internal(context.Background()))
		return
	}
	w.Header().Set("content-type", "application/openapi+json")
	_, _ = w.Write(s.document)
}
