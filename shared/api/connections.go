package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/providers/kinds"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
	"github.com/wedsync/webhooks/shared/store"
)

// issuedByUs are the kinds whose secret we generate.
var issuedByUs = map[string]bool{"mailchimp": true, "zapier": true, "custom": true}

// Connection is a connection as the API shows it. Secret appears once: on create and rotate.
type Connection struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name,omitempty"`
	Status    string    `json:"status" enum:"active,disabled"`
	IngestURL string    `json:"ingest_url" doc:"Where the provider sends its webhooks. For Mailchimp the ?key= part is shown only with the secret."`
	WebhookID string    `json:"webhook_id,omitempty" doc:"PayPal's webhook id."`
	URL       string    `json:"url,omitempty" doc:"The URL registered with Mandrill, exactly."`
	Secret    string    `json:"secret,omitempty" doc:"The secret we issued; shown only now."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ConnectionBody creates a connection.
type ConnectionBody struct {
	Kind      string `json:"kind"`
	Name      string `json:"name,omitempty" maxLength:"100"`
	Secret    string `json:"secret,omitempty" maxLength:"512" doc:"Stripe: the endpoint's signing secret (whsec_…). Calendly: the signing key. Mandrill: the webhook key. Custom: optional whsec_ secret; one is generated when absent."`
	WebhookID string `json:"webhook_id,omitempty" maxLength:"128" doc:"PayPal: the webhook id."`
	URL       string `json:"url,omitempty" maxLength:"2048" doc:"Mandrill: the URL registered with Mandrill, exactly."`
}

// TransformSchema takes the kind's values from the one provider list.
func (ConnectionBody) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	if kind := s.Properties["kind"]; kind != nil {
		kind.Enum = nil
		for _, k := range kinds.All() {
			kind.Enum = append(kind.Enum, k)
		}
		kind.PrecomputeMessages()
	}
	return s
}

// Connections is a page of connections.
type Connections struct {
	Connections []Connection `json:"connections"`
	NextCursor  string       `json:"next_cursor,omitempty"`
}

type idInput struct {
	ID string `path:"id" maxLength:"64"`
}

// RotateBody rotates a connection's secret.
type RotateBody struct {
	Secret string `json:"secret,omitempty" maxLength:"512" doc:"The provider's new secret (Stripe, Calendly, Mandrill); for the kinds we issue, leave it out."`
}

func (s *Server) registerConnections() {
	tags := []string{"Connections"}
	huma.Register(s.api, huma.Operation{OperationID: "create-connection", Method: http.MethodPost, Path: "/v1/connections",
		Summary: "Connect a provider", Tags: tags, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body ConnectionBody }) (*Output[Connection], error) {
			return s.createConnection(ctx, in.Body)
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-connections", Method: http.MethodGet, Path: "/v1/connections",
		Summary: "List connections", Tags: tags},
		func(ctx context.Context, in *ListInput) (*Output[Connections], error) {
			tenant := tenantOf(ctx)
			cursor, err := s.Cursors.Open(tenant, "connections", in.Cursor)
			if err != nil {
				return nil, invalid(ctx, map[string]string{"cursor": err.Error()})
			}
			page, err := s.Connections.ListByTenant(ctx, tenant, cursor, in.Limit)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := Connections{Connections: []Connection{}, NextCursor: s.Cursors.Sign(tenant, "connections", page.Next)}
			for _, c := range page.Items {
				out.Connections = append(out.Connections, s.connectionView(ctx, c))
			}
			return ok(out), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-connection", Method: http.MethodGet, Path: "/v1/connections/{id}",
		Summary: "Get a connection", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Connection], error) {
			c, err := s.ownedConnection(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return ok(s.connectionView(ctx, c)), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "rotate-connection-secret", Method: http.MethodPost, Path: "/v1/connections/{id}/rotate-secret",
		Summary: "Rotate a connection's secret; the old one keeps working for 24 hours", Tags: tags},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body RotateBody
		}) (*Output[Connection], error) {
			return s.rotateConnection(ctx, in.ID, in.Body.Secret)
		})
	for _, change := range []struct{ op, status, summary string }{
		{"disable", store.ConnectionDisabled, "Disable a connection: its webhooks are refused with 404"},
		{"enable", store.ConnectionActive, "Enable a disabled connection"},
	} {
		huma.Register(s.api, huma.Operation{OperationID: change.op + "-connection", Method: http.MethodPost, Path: "/v1/connections/{id}/" + change.op,
			Summary: change.summary, Tags: tags},
			func(ctx context.Context, in *idInput) (*Output[Connection], error) {
				return s.setConnectionStatus(ctx, in.ID, change.status)
			})
	}
	huma.Register(s.api, huma.Operation{OperationID: "delete-connection", Method: http.MethodDelete, Path: "/v1/connections/{id}",
		Summary: "Delete a connection", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Empty], error) {
			if err := s.Connections.Delete(ctx, tenantOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(Empty{Deleted: true}), nil
		})
}

func (s *Server) createConnection(ctx context.Context, in ConnectionBody) (*Output[Connection], error) {
	secret, config, bad := s.connectionSecret(in)
	if len(bad) > 0 {
		return nil, invalid(ctx, bad)
	}
	now := s.Now().UTC()
	conn := store.Connection{ID: s.newID("conn_"), TenantID: tenantOf(ctx), Kind: in.Kind, Name: in.Name,
		Status: store.ConnectionActive, Config: config, CreatedAt: now, UpdatedAt: now}
	sealed, err := secrets.SealSet(ctx, s.Sealer, secrets.Scope{TenantID: conn.TenantID, ResourceID: conn.ID}, secrets.Set{{Secret: secret}})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	conn.SealedSecrets = sealed
	if err := s.Connections.Put(ctx, conn); err != nil {
		return nil, s.fail(ctx, err)
	}
	view := s.connectionView(ctx, conn)
	if issuedByUs[conn.Kind] {
		view.Secret = secret
		if conn.Kind == "mailchimp" {
			view.IngestURL += "?key=" + url.QueryEscape(secret)
		}
	}
	return ok(view), nil
}

// connectionSecret checks the kind's fields and returns the secret to keep (issued when
// we issue it) and the kind's non-secret settings.
func (s *Server) connectionSecret(in ConnectionBody) (string, map[string]string, map[string]string) {
	bad := map[string]string{}
	config := map[string]string{}
	secret := in.Secret
	requireSecret := func(why string) {
		if strings.TrimSpace(in.Secret) == "" {
			bad["secret"] = why
		}
	}
	switch in.Kind {
	case "stripe":
		requireSecret("required: the endpoint's signing secret from the Stripe dashboard")
		if in.Secret != "" && !strings.HasPrefix(in.Secret, "whsec_") {
			bad["secret"] = "a Stripe signing secret starts with whsec_"
		}
	case "calendly":
		requireSecret("required: the webhook signing key from Calendly")
	case "mandrill":
		requireSecret("required: the webhook key from Mandrill")
		u, err := url.Parse(in.URL)
		if in.URL == "" || err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") {
			bad["url"] = "required: the absolute URL registered with Mandrill, exactly"
		}
		config["url"] = in.URL
	case "paypal":
		if in.WebhookID == "" {
			bad["webhook_id"] = "required: the PayPal webhook id"
		}
		if in.Secret != "" {
			bad["secret"] = "PayPal has no shared secret; send webhook_id"
		}
		secret = in.WebhookID
		config["webhook_id"] = in.WebhookID
	case "mailchimp", "zapier":
		if in.Secret != "" {
			bad["secret"] = "we issue this kind's secret; leave it out"
		}
		secret = s.issue(in.Kind)
	case "custom":
		if in.Secret == "" {
			secret = s.issue(in.Kind)
		} else if reason := checkWhsec(in.Secret); reason != "" {
			bad["secret"] = reason
		}
	}
	if in.Kind != "mandrill" && in.URL != "" {
		bad["url"] = "only Mandrill connections take a url"
	}
	if in.Kind != "paypal" && in.WebhookID != "" {
		bad["webhook_id"] = "only PayPal connections take a webhook_id"
	}
	return secret, config, bad
}

// checkWhsec explains what is wrong with a client-supplied Standard Webhooks secret.
func checkWhsec(secret string) string {
	key, err := stdwebhooks.DecodeSecret(secret)
	if err != nil {
		return "must be whsec_ followed by base64"
	}
	if len(key) < 24 || len(key) > 64 {
		return "must decode to 24 to 64 bytes"
	}
	return ""
}

// issue generates a secret of the kind we issue.
func (s *Server) issue(kind string) string {
	switch kind {
	case "mailchimp":
		return base64.RawURLEncoding.EncodeToString(s.randomBytes(32))
	case "zapier":
		return "zap_" + base64.RawURLEncoding.EncodeToString(s.randomBytes(32))
	default:
		return stdwebhooks.SecretPrefix + base64.StdEncoding.EncodeToString(s.randomBytes(32))
	}
}

// setConnectionStatus enables or disables a connection, re-read until the write lands.
func (s *Server) setConnectionStatus(ctx context.Context, id, status string) (*Output[Connection], error) {
	var conn store.Connection
	err := s.reapply(ctx, func(int) error {
		var err error
		if conn, err = s.ownedConnection(ctx, id); err != nil {
			return err
		}
		conn.Status, conn.UpdatedAt = status, s.Now().UTC()
		return s.Connections.Update(ctx, conn)
	})
	if err != nil {
		return nil, err
	}
	return ok(s.connectionView(ctx, conn)), nil
}

func (s *Server) rotateConnection(ctx context.Context, id, next string) (*Output[Connection], error) {
	conn, err := s.ownedConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if next, err = s.nextConnectionSecret(ctx, conn.Kind, next); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	err = s.reapply(ctx, func(try int) error {
		if try > 0 {
			fresh, err := s.ownedConnection(ctx, id)
			if err != nil {
				return err
			}
			conn = fresh
		}
		scope := secrets.Scope{TenantID: conn.TenantID, ResourceID: conn.ID}
		set, err := secrets.OpenSet(ctx, s.Sealer, scope, conn.SealedSecrets)
		if err != nil {
			return err
		}
		if conn.SealedSecrets, err = secrets.SealSet(ctx, s.Sealer, scope, set.Rotate(next, now)); err != nil {
			return err
		}
		conn.UpdatedAt = now
		return s.Connections.Update(ctx, conn)
	})
	if err != nil {
		return nil, err
	}
	view := s.connectionView(ctx, conn)
	if issuedByUs[conn.Kind] {
		view.Secret = next
		if conn.Kind == "mailchimp" {
			view.IngestURL += "?key=" + url.QueryEscape(next)
		}
	}
	return ok(view), nil
}

// nextConnectionSecret checks the secret a rotation was given for a connection of kind, or
// issues one for the kinds we issue.
func (s *Server) nextConnectionSecret(ctx context.Context, kind, next string) (string, error) {
	switch {
	case kind == "paypal":
		return "", invalid(ctx, map[string]string{"secret": "PayPal connections have no secret to rotate"})
	case issuedByUs[kind] && next != "" && kind != "custom":
		return "", invalid(ctx, map[string]string{"secret": "we issue this kind's secret; leave it out"})
	case issuedByUs[kind] && next == "":
		return s.issue(kind), nil
	case kind == "custom":
		if reason := checkWhsec(next); reason != "" {
			return "", invalid(ctx, map[string]string{"secret": reason})
		}
	case next == "":
		return "", invalid(ctx, map[string]string{"secret": "required: the provider's new secret"})
	case kind == "stripe" && !strings.HasPrefix(next, "whsec_"):
		return "", invalid(ctx, map[string]string{"secret": "a Stripe signing secret starts with whsec_"})
	}
	return next, nil
}

// ownedConnection loads a connection of the caller's tenant; any other is 404.
func (s *Server) ownedConnection(ctx context.Context, id string) (store.Connection, error) {
	conn, err := s.Connections.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && conn.TenantID != tenantOf(ctx)) {
		return store.Connection{}, notFound(ctx, "connection")
	}
	if err != nil {
		return store.Connection{}, s.fail(ctx, err)
	}
	return conn, nil
}

func (s *Server) connectionView(ctx context.Context, c store.Connection) Connection {
	return Connection{
		ID: c.ID, Kind: c.Kind, Name: c.Name, Status: c.Status,
		IngestURL: baseURL(ctx, s.PublicURL) + "/webhooks/" + c.Kind + "/" + c.ID,
		WebhookID: c.Config["webhook_id"], URL: c.Config["url"],
		CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt),
	}
}

// fail turns a store error into the answer: not found is 404, anything else 500 (logged).
func (s *Server) fail(ctx context.Context, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return newError(ctx, http.StatusNotFound, "not found")
	}
	if answer, ok := asQuotaExceeded(ctx, err); ok {
		return answer
	}
	if errors.Is(err, store.ErrConflict) {
		return newError(ctx, http.StatusConflict, "a concurrent change got there first; try again")
	}
	s.Logger.ErrorContext(ctx, "request failed", "request_id", requestID(ctx), "tenant_id", tenantOf(ctx), "error", err.Error())
	return internal(ctx)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
