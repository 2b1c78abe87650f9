package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/store"
)

// RetryPolicy overrides the default retry schedule of a subscription.
type RetryPolicy struct {
	MaxAttempts         int    `json:"max_attempts" minimum:"1" maximum:"10" doc:"Attempts, the first included."`
	BackoffStrategy     string `json:"backoff_strategy" enum:"linear,exponential"`
	InitialDelaySeconds int    `json:"initial_delay_seconds" minimum:"1"`
}

// Subscription is a subscription as the API shows it. Secret appears on create and rotate.
type Subscription struct {
	ID                 string            `json:"id"`
	EndpointURL        string            `json:"endpoint_url"`
	Description        string            `json:"description,omitempty"`
	EventTypes         []string          `json:"event_types"`
	Source             string            `json:"source,omitempty"`
	Active             bool              `json:"active"`
	RetryPolicy        *RetryPolicy      `json:"retry_policy,omitempty"`
	EventVersion       string            `json:"event_version"`
	Headers            map[string]string `json:"headers,omitempty"`
	RateLimitPerSecond int               `json:"rate_limit_per_second,omitempty"`
	Secret             string            `json:"secret,omitempty" doc:"The signing secret; shown only on create and rotate."`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

// SubscriptionBody creates a subscription.
type SubscriptionBody struct {
	EndpointURL        string            `json:"endpoint_url" maxLength:"2048" doc:"https URL that receives the events."`
	Description        string            `json:"description,omitempty" maxLength:"200"`
	EventTypes         []string          `json:"event_types" minItems:"1" maxItems:"50" doc:"Exact types, prefix.* or *."`
	Source             string            `json:"source,omitempty" enum:"stripe,paypal,mailchimp,mandrill,calendly,zapier,custom,wedsync" doc:"Only events from this provider."`
	Active             *bool             `json:"active,omitempty" doc:"Default true."`
	Secret             string            `json:"secret,omitempty" maxLength:"128" doc:"whsec_ secret of 24 to 64 bytes; generated when absent."`
	RetryPolicy        *RetryPolicy      `json:"retry_policy,omitempty"`
	EventVersion       string            `json:"event_version,omitempty" doc:"Dated event version to render events at (see GET /v1/event-types); default the latest."`
	Headers            map[string]string `json:"headers,omitempty" maxProperties:"10" doc:"Sent with every delivery. Refused (422): webhook-*, content-type, content-length, content-encoding, user-agent, host, hop-by-hop headers (connection, keep-alive, te, trailer, transfer-encoding, upgrade) and proxy-*."`
	RateLimitPerSecond int               `json:"rate_limit_per_second,omitempty" minimum:"0" maximum:"1000"`
}

// SubscriptionPatch changes some fields of a subscription.
type SubscriptionPatch struct {
	EndpointURL        *string            `json:"endpoint_url,omitempty" maxLength:"2048"`
	Description        *string            `json:"description,omitempty" maxLength:"200"`
	EventTypes         []string           `json:"event_types,omitempty" minItems:"1" maxItems:"50"`
	Source             *string            `json:"source,omitempty" enum:"stripe,paypal,mailchimp,mandrill,calendly,zapier,custom,wedsync,"`
	Active             *bool              `json:"active,omitempty"`
	RetryPolicy        *RetryPolicy       `json:"retry_policy,omitempty"`
	EventVersion       *string            `json:"event_version,omitempty" doc:"Move the subscription to another dated event version."`
	Headers            *map[string]string `json:"headers,omitempty" doc:"Sent with every delivery. Refused (422): webhook-*, content-type, content-length, content-encoding, user-agent, host, hop-by-hop headers (connection, keep-alive, te, trailer, transfer-encoding, upgrade) and proxy-*."`
	RateLimitPerSecond *int               `json:"rate_limit_per_second,omitempty" minimum:"0" maximum:"1000"`
}

// Subscriptions is a page of subscriptions.
type Subscriptions struct {
	Subscriptions []Subscription `json:"subscriptions"`
	NextCursor    string         `json:"next_cursor,omitempty"`
}

type subscriptionList struct {
	ListInput
	Active    string `query:"active" enum:"true,false," doc:"Only active (true) or inactive (false) subscriptions."`
	EventType string `query:"event_type" maxLength:"64" doc:"Only subscriptions that receive this type."`
	Source    string `query:"source" maxLength:"32"`
}

func (s *Server) registerSubscriptions() {
	tags := []string{"Subscriptions"}
	huma.Register(s.api, huma.Operation{OperationID: "create-subscription", Method: http.MethodPost, Path: "/v1/subscriptions",
		Summary: "Subscribe an endpoint", Tags: tags, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body SubscriptionBody }) (*Output[Subscription], error) {
			return s.createSubscription(ctx, in.Body)
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-subscriptions", Method: http.MethodGet, Path: "/v1/subscriptions",
		Summary: "List subscriptions", Tags: tags},
		func(ctx context.Context, in *subscriptionList) (*Output[Subscriptions], error) {
			tenant := tenantOf(ctx)
			list := "subscriptions?" + in.Active + "&" + in.EventType + "&" + in.Source
			cursor, err := s.Cursors.Open(tenant, list, in.Cursor)
			if err != nil {
				return nil, invalid(ctx, map[string]string{"cursor": err.Error()})
			}
			keep := func(sub store.Subscription) bool {
				return (in.Active == "" || (in.Active == "true") == sub.Active) &&
					(in.Source == "" || sub.Source == in.Source) &&
					(in.EventType == "" || Matches(sub.EventTypes, in.EventType))
			}
			page, err := s.Subscriptions.ListByTenant(ctx, tenant, cursor, in.Limit, keep)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := Subscriptions{Subscriptions: []Subscription{}, NextCursor: s.Cursors.Sign(tenant, list, page.Next)}
			for _, sub := range page.Items {
				out.Subscriptions = append(out.Subscriptions, subscriptionView(sub))
			}
			return ok(out), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-subscription", Method: http.MethodGet, Path: "/v1/subscriptions/{id}",
		Summary: "Get a subscription", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Subscription], error) {
			sub, err := s.ownedSubscription(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return ok(subscriptionView(sub)), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "update-subscription", Method: http.MethodPatch, Path: "/v1/subscriptions/{id}",
		Summary: "Change a subscription", Tags: tags},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body SubscriptionPatch
		}) (*Output[Subscription], error) {
			return s.updateSubscription(ctx, in.ID, in.Body)
		})
	huma.Register(s.api, huma.Operation{OperationID: "rotate-subscription-secret", Method: http.MethodPost, Path: "/v1/subscriptions/{id}/rotate-secret",
		Summary: "Rotate a subscription's secret; deliveries carry both signatures for 24 hours", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Subscription], error) {
			return s.rotateSubscription(ctx, in.ID)
		})
	huma.Register(s.api, huma.Operation{OperationID: "delete-subscription", Method: http.MethodDelete, Path: "/v1/subscriptions/{id}",
		Summary: "Delete a subscription", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Empty], error) {
			if err := s.Subscriptions.Delete(ctx, tenantOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(Empty{Deleted: true}), nil
		})
}

func (s *Server) createSubscription(ctx context.Context, in SubscriptionBody) (*Output[Subscription], error) {
	bad := map[string]string{}
	s.checkEndpoint(in.EndpointURL, bad)
	checkEventTypes(in.EventTypes, bad)
	secret := in.Secret
	if secret == "" {
		secret = s.issue("custom")
	} else if reason := checkWhsec(secret); reason != "" {
		bad["secret"] = reason
	}
	version := in.EventVersion
	if version == "" {
		version = envelope.Latest()
	}
	checkEventVersion(version, bad)
	checkHeaders(in.Headers, bad)
	if len(bad) > 0 {
		return nil, invalid(ctx, bad)
	}
	now := s.Now().UTC()
	sub := store.Subscription{
		ID: s.newID("sub_"), TenantID: tenantOf(ctx), EndpointURL: in.EndpointURL, Description: in.Description,
		EventTypes: in.EventTypes, Source: in.Source, Active: in.Active == nil || *in.Active,
		RetryPolicy: storePolicy(in.RetryPolicy), Version: version, Headers: in.Headers, RateLimit: in.RateLimitPerSecond,
		CreatedAt: now, UpdatedAt: now,
	}
	sealed, err := secrets.SealSet(ctx, s.Sealer, secrets.Scope{TenantID: sub.TenantID, ResourceID: sub.ID}, secrets.Set{{Secret: secret}})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	sub.SealedSecrets = sealed
	if err := s.Subscriptions.Create(ctx, sub); err != nil {
		return nil, s.fail(ctx, err)
	}
	view := subscriptionView(sub)
	view.Secret = secret
	return ok(view), nil
}

// rotateSubscription issues a new signing secret and keeps the current ones for the overlap.
func (s *Server) rotateSubscription(ctx context.Context, id string) (*Output[Subscription], error) {
	next := s.issue("custom")
	now := s.Now().UTC()
	var sub store.Subscription
	err := s.reapply(ctx, func(int) error {
		var err error
		if sub, err = s.ownedSubscription(ctx, id); err != nil {
			return err
		}
		scope := secrets.Scope{TenantID: sub.TenantID, ResourceID: sub.ID}
		set, err := secrets.OpenSet(ctx, s.Sealer, scope, sub.SealedSecrets)
		if err != nil {
			return err
		}
		if sub.SealedSecrets, err = secrets.SealSet(ctx, s.Sealer, scope, set.Rotate(next, now)); err != nil {
			return err
		}
		sub.UpdatedAt = now
		return s.Subscriptions.Update(ctx, sub)
	})
	if err != nil {
		return nil, err
	}
	view := subscriptionView(sub)
	view.Secret = next
	return ok(view), nil
}

// updateSubscription applies a PATCH to the subscription as it is when written: on a
// concurrent write it reads again and re-applies the request's own changes, so it never
// undoes a disable, a rotation or anything else it did not ask for.
func (s *Server) updateSubscription(ctx context.Context, id string, in SubscriptionPatch) (*Output[Subscription], error) {
	now := s.Now().UTC()
	var sub store.Subscription
	err := s.reapply(ctx, func(int) error {
		var err error
		if sub, err = s.ownedSubscription(ctx, id); err != nil {
			return err
		}
		if bad := s.patchSubscription(&sub, in); len(bad) > 0 {
			return invalid(ctx, bad)
		}
		sub.UpdatedAt = now
		return s.Subscriptions.Update(ctx, sub)
	})
	if err != nil {
		return nil, err
	}
	return ok(subscriptionView(sub)), nil
}

// patchSubscription applies the fields a PATCH sets and returns the bad ones.
func (s *Server) patchSubscription(sub *store.Subscription, in SubscriptionPatch) map[string]string {
	bad := map[string]string{}
	if in.EndpointURL != nil {
		s.checkEndpoint(*in.EndpointURL, bad)
		sub.EndpointURL = *in.EndpointURL
	}
	if in.EventTypes != nil {
		checkEventTypes(in.EventTypes, bad)
		sub.EventTypes = in.EventTypes
	}
	if in.EventVersion != nil {
		checkEventVersion(*in.EventVersion, bad)
		sub.Version = *in.EventVersion
	}
	if in.Headers != nil {
		checkHeaders(*in.Headers, bad)
		sub.Headers = *in.Headers
	}
	if in.Description != nil {
		sub.Description = *in.Description
	}
	if in.Source != nil {
		sub.Source = *in.Source
	}
	if in.Active != nil {
		sub.Active = *in.Active
	}
	if in.RetryPolicy != nil {
		sub.RetryPolicy = storePolicy(in.RetryPolicy)
	}
	if in.RateLimitPerSecond != nil {
		sub.RateLimit = *in.RateLimitPerSecond
	}
	return bad
}

// checkEventVersion accepts the dated versions of the chain; a subscription pins one and
// moves to another with a PATCH.
func checkEventVersion(v string, bad map[string]string) {
	if !envelope.IsSupported(v) {
		bad["event_version"] = "supported versions: " + strings.Join(envelope.VersionNames(), ", ")
	}
}

func (s *Server) checkEndpoint(endpoint string, bad map[string]string) {
	if err := ssrf.CheckURL(endpoint, s.AllowLoopbackEndpoints); err != nil {
		bad["endpoint_url"] = err.Error()
	}
}

// checkEventTypes accepts exact catalog types, "prefix.*" of a catalog prefix, and "*".
func checkEventTypes(types []string, bad map[string]string) {
	for _, t := range types {
		if t == "*" || envelope.IsKnownType(t) {
			continue
		}
		if prefix, ok := strings.CutSuffix(t, ".*"); ok && slices.ContainsFunc(envelope.AllTypes(), func(c string) bool {
			return strings.HasPrefix(c, prefix+".")
		}) {
			continue
		}
		bad["event_types"] = "unknown type " + truncate(t, 64) + "; see GET /v1/event-types"
		return
	}
}

// Matches reports whether a subscription's event types select typ.
func Matches(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == "*" || p == typ {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(typ, prefix) {
			return true
		}
	}
	return false
}

func (s *Server) ownedSubscription(ctx context.Context, id string) (store.Subscription, error) {
	sub, err := s.Subscriptions.Get(ctx, id)
	if err != nil || sub.TenantID != tenantOf(ctx) {
		if err != nil && !isNotFound(err) {
			return store.Subscription{}, s.fail(ctx, err)
		}
		return store.Subscription{}, notFound(ctx, "subscription")
	}
	return sub, nil
}

func storePolicy(p *RetryPolicy) *store.RetryPolicy {
	if p == nil {
		return nil
	}
	return &store.RetryPolicy{MaxAttempts: p.MaxAttempts, BackoffStrategy: p.BackoffStrategy, InitialDelaySeconds: p.InitialDelaySeconds}
}

func subscriptionView(sub store.Subscription) Subscription {
	v := Subscription{
		ID: sub.ID, EndpointURL: sub.EndpointURL, Description: sub.Description, EventTypes: sub.EventTypes,
		Source: sub.Source, Active: sub.Active, EventVersion: sub.Version, Headers: sub.Headers,
		RateLimitPerSecond: sub.RateLimit, CreatedAt: utc(sub.CreatedAt), UpdatedAt: utc(sub.UpdatedAt),
	}
	if p := sub.RetryPolicy; p != nil {
		v.RetryPolicy = &RetryPolicy{MaxAttempts: p.MaxAttempts, BackoffStrategy: p.BackoffStrategy, InitialDelaySeconds: p.InitialDelaySeconds}
	}
	return v
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
