package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// Event is a stored event: its envelope and status.
type Event struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Status   string          `json:"status" enum:"received,processed"`
	Envelope json.RawMessage `json:"envelope" doc:"The CloudEvents envelope, rendered at the request's WedSync-Version (the latest by default)."`
	// Payload is the provider's raw body, on GET of one event only.
	Payload string `json:"payload,omitempty" doc:"The provider's raw body (only when getting one event)."`
	// PayloadEncoding is "base64" when the payload is not UTF-8 text.
	PayloadEncoding string    `json:"payload_encoding,omitempty" enum:"text,base64,"`
	ReceivedAt      time.Time `json:"received_at"`
	// ProcessedAt is when processing the event ended; absent until then.
	ProcessedAt *time.Time `json:"processed_at,omitempty" doc:"When processing the event (reactions, fan-out) ended; absent while it is received."`
}

// Events is a page of events, newest first.
type Events struct {
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

type eventList struct {
	ListInput
	Type  string    `query:"type" maxLength:"64" doc:"Only events of this type."`
	Since time.Time `query:"since" doc:"Only events at or after this time (RFC 3339)."`
	Until time.Time `query:"until" doc:"Only events at or before this time (RFC 3339)."`
}

func (s *Server) registerEvents() {
	tags := []string{"Events"}
	huma.Register(s.api, huma.Operation{OperationID: "list-events", Method: http.MethodGet, Path: "/v1/events",
		Summary: "List events, newest first", Tags: tags},
		func(ctx context.Context, in *eventList) (*Output[Events], error) {
			tenant := tenantOf(ctx)
			list := "events?" + in.Type + "&" + in.Since.String() + "&" + in.Until.String()
			cursor, err := s.Cursors.Open(tenant, list, in.Cursor)
			if err != nil {
				return nil, invalid(ctx, map[string]string{"cursor": err.Error()})
			}
			if !in.Since.IsZero() && !in.Until.IsZero() && in.Until.Before(in.Since) {
				return nil, invalid(ctx, map[string]string{"until": "must not be before since"})
			}
			page, err := s.Events.ListByTenant(ctx, tenant, store.EventFilter{Type: in.Type, Since: in.Since, Until: in.Until}, cursor, in.Limit)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := Events{Events: []Event{}, NextCursor: s.Cursors.Sign(tenant, list, page.Next)}
			for _, ev := range page.Items {
				view, err := eventView(ctx, ev)
				if err != nil {
					return nil, s.fail(ctx, err)
				}
				out.Events = append(out.Events, view)
			}
			return ok(out), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-event", Method: http.MethodGet, Path: "/v1/events/{id}",
		Summary: "Get an event with the provider's raw payload", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Event], error) {
			ev, err := s.Events.Get(ctx, in.ID)
			if err != nil || ev.TenantID != tenantOf(ctx) {
				if err != nil && !isNotFound(err) {
					return nil, s.fail(ctx, err)
				}
				return nil, notFound(ctx, "event")
			}
			view, err := eventView(ctx, ev)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			raw := ev.Raw
			view.Payload, view.PayloadEncoding = string(raw), "text"
			if !utf8.Valid(raw) {
				view.Payload, view.PayloadEncoding = encodeBase64(raw), "base64"
			}
			return ok(view), nil
		})
}

// Replay is the answer to a replay: its number and the deliveries it queued.
type Replay struct {
	Replay     int      `json:"replay"`
	Deliveries []string `json:"deliveries"`
}

// ReplayBody chooses whom a replay goes to.
type ReplayBody struct {
	SubscriptionID string `json:"subscription_id,omitempty" maxLength:"64" doc:"Only this subscription; all matching active ones when absent."`
}

func (s *Server) registerReplay() {
	huma.Register(s.api, huma.Operation{OperationID: "replay-event", Method: http.MethodPost, Path: "/v1/events/{id}/replay",
		Summary: "Send an event again to one or every matching subscription (reactions are not run again)", Tags: []string{"Events"},
		DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body ReplayBody
		}) (*Output[Replay], error) {
			tenant := tenantOf(ctx)
			ev, err := s.Events.Get(ctx, in.ID)
			if err != nil || ev.TenantID != tenant {
				if err != nil && !isNotFound(err) {
					return nil, s.fail(ctx, err)
				}
				return nil, notFound(ctx, "event")
			}
			var env envelope.Envelope
			if err := json.Unmarshal(ev.Envelope, &env); err != nil {
				return nil, s.fail(ctx, err)
			}
			var subs []store.Subscription
			if in.Body.SubscriptionID != "" {
				sub, err := s.ownedSubscription(ctx, in.Body.SubscriptionID)
				if err != nil {
					return nil, err
				}
				if !sub.Active {
					return nil, invalid(ctx, map[string]string{"subscription_id": "the subscription is not active"})
				}
				subs = append(subs, sub)
			} else {
				cursor := ""
				for {
					page, err := s.Subscriptions.ListByTenant(ctx, tenant, cursor, 100, func(sub store.Subscription) bool { return delivery.Matches(sub, env) })
					if err != nil {
						return nil, s.fail(ctx, err)
					}
					subs = append(subs, page.Items...)
					if cursor = page.Next; cursor == "" {
						break
					}
				}
			}
			n, err := s.Events.NextReplay(ctx, ev.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			ids, err := s.Tester.Replay(ctx, env, subs, n)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(Replay{Replay: n, Deliveries: append([]string{}, ids...)}), nil
		})
}

// eventView shows a stored event, its envelope rendered at the request's WedSync-Version.
func eventView(ctx context.Context, ev store.Event) (Event, error) {
	env, err := envelope.Render(ev.Envelope, versionOf(ctx))
	if err != nil {
		return Event{}, err
	}
	view := Event{ID: ev.ID, Type: ev.Type, Time: utc(ev.Time), Status: ev.Status, Envelope: env, ReceivedAt: utc(ev.ReceivedAt)}
	if !ev.ProcessedAt.IsZero() {
		t := utc(ev.ProcessedAt)
		view.ProcessedAt = &t
	}
	return view, nil
}
