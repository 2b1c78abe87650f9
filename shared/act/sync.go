package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// EventStore reads commands and keeps the events act makes, with ingest's idempotent put;
// an event it stored but could not queue enters the sweep index, as at ingest.
type EventStore interface {
	Get(ctx context.Context, id string) (store.Event, error)
	PutNew(ctx context.Context, ev store.Event) (store.Event, bool, error)
	EnterSweep(ctx context.Context, id string, at time.Time) error
}

// keepEvent stores ev and queues its key unless it exists processed; when queueing fails
// the event enters the sweep index. duplicate says it existed.
func keepEvent(ctx context.Context, events EventStore, q Enqueuer, ev store.Event) (duplicate bool, err error) {
	existing, duplicate, err := events.PutNew(ctx, ev)
	if err != nil {
		return false, err
	}
	if duplicate && existing.Status == store.StatusProcessed {
		return true, nil
	}
	if err := q.Enqueue(ctx, ev.ID); err != nil {
		return duplicate, errors.Join(err, events.EnterSweep(context.WithoutCancel(ctx), ev.ID, ev.ReceivedAt))
	}
	return duplicate, nil
}

// Enqueuer queues an event's key on the events queue.
type Enqueuer interface {
	Enqueue(ctx context.Context, eventID string) error
}

// MaxSyncPages bounds the pages of each list a sync reads.
const MaxSyncPages = 50

// Sync runs integration.sync as Calendly's initial import: the user (users/me), its event
// types, its active future scheduled events and each one's active invitees, all paginated
// by next_page_token on the configured base URL. Each invitee becomes one booking.created
// with origin sync (which derives nothing), its id fixed by the invitee, so a second run
// stores nothing new.
type Sync struct {
	Events    EventStore
	Queue     Enqueuer
	Now       func() time.Time
	Retention time.Duration
}

var _ Runner = (*Sync)(nil)

// AtMostOnce is false: a sync only reads, and its events have fixed ids.
func (*Sync) AtMostOnce() bool { return false }

type calendlyPage struct {
	Collection []json.RawMessage `json:"collection"`
	Pagination struct {
		NextPageToken string `json:"next_page_token"`
	} `json:"pagination"`
}

type calendlyEvent struct {
	URI       string `json:"uri"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
	Location  struct {
		Type     string `json:"type"`
		Location string `json:"location"`
		JoinURL  string `json:"join_url"`
	} `json:"location"`
}

type calendlyInvitee struct {
	URI       string `json:"uri"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

// Run imports the bookings.
func (s *Sync) Run(ctx context.Context, cmd Command) (Outcome, error) {
	var me struct {
		Resource struct {
			URI string `json:"uri"`
		} `json:"resource"`
	}
	if err := s.get(ctx, cmd.Conn, "/users/me", nil, &me); err != nil {
		return endOf(err)
	}
	user := url.Values{"user": {me.Resource.URI}, "count": {"100"}}
	types, err := s.list(ctx, cmd.Conn, "/event_types", user, nil)
	if err != nil {
		return endOf(err)
	}
	query := url.Values{"user": {me.Resource.URI}, "count": {"100"}, "status": {"active"},
		"sort": {"start_time:asc"}, "min_start_time": {s.Now().UTC().Format(time.RFC3339)}}
	emitted, existed := 0, 0
	events, err := s.list(ctx, cmd.Conn, "/scheduled_events", query, func(raw json.RawMessage) error {
		var ev calendlyEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("a scheduled event: %w", err)
		}
		invitees := url.Values{"status": {"active"}, "count": {"100"}}
		_, err := s.list(ctx, cmd.Conn, "/scheduled_events/"+path.Base(ev.URI)+"/invitees", invitees, func(raw json.RawMessage) error {
			var in calendlyInvitee
			if err := json.Unmarshal(raw, &in); err != nil {
				return fmt.Errorf("an invitee: %w", err)
			}
			if in.Status != "" && in.Status != "active" {
				return nil
			}
			fresh, err := s.emit(ctx, cmd, ev, in)
			if fresh {
				emitted++
			} else if err == nil {
				existed++
			}
			return err
		})
		return err
	})
	if err != nil {
		return endOf(err)
	}
	return succeeded(map[string]any{"bookings": emitted, "already_synced": existed, "scheduled_events": events, "event_types": types}), nil
}

// emit stores and queues one synced booking; fresh says it was new.
func (s *Sync) emit(ctx context.Context, cmd Command, ev calendlyEvent, in calendlyInvitee) (bool, error) {
	booking := envelope.Booking{BookingID: path.Base(in.URI), StartTime: utc(ev.StartTime), EndTime: utc(ev.EndTime),
		AttendeeName: in.Name, AttendeeEmail: in.Email, Location: firstOf(ev.Location.Location, ev.Location.Type), MeetingURL: ev.Location.JoinURL}
	data, err := json.Marshal(booking)
	if err != nil {
		return false, err
	}
	now := s.Now().UTC()
	at, err := time.Parse(time.RFC3339Nano, in.CreatedAt)
	if err != nil {
		at = now
	}
	correlation := firstOf(cmd.Event.CorrelationID, cmd.Event.ID)
	env := envelope.Envelope{
		SpecVersion: envelope.SpecVersion, ID: envelope.EventID(cmd.Conn.ID, "sync:"+in.URI), Type: envelope.BookingCreated,
		Source: "wedsync/calendly", Time: at.UTC(), DataContentType: "application/json", TenantID: cmd.Event.TenantID,
		ConnectionID: cmd.Conn.ID, Provider: "calendly", ProviderEventID: booking.BookingID, ProviderType: "invitee.synced",
		CorrelationID: correlation, CausationID: cmd.Event.ID, Origin: envelope.OriginSync, EventVersion: envelope.Version, Data: data,
	}
	b, err := json.Marshal(env)
	if err != nil {
		return false, err
	}
	stored := store.Event{ID: env.ID, TenantID: env.TenantID, ConnectionID: env.ConnectionID, Type: env.Type,
		CorrelationID: correlation, Time: env.Time, Envelope: b, ReceivedAt: now}
	if s.Retention > 0 {
		stored.ExpiresAt = now.Add(s.Retention)
	}
	duplicate, err := keepEvent(ctx, s.Events, s.Queue, stored)
	if err != nil {
		return false, err
	}
	return !duplicate, nil
}

// list reads every page of a collection (at most MaxSyncPages), handing each item to each
// when set, and returns how many items it saw. The next page is asked of the same base
// URL with the page_token the provider gave: a next_page URL is never followed.
func (s *Sync) list(ctx context.Context, conn *Connection, p string, query url.Values, each func(json.RawMessage) error) (int, error) {
	seen := 0
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	for range MaxSyncPages {
		var page calendlyPage
		if err := s.get(ctx, conn, p, q, &page); err != nil {
			return seen, err
		}
		for _, item := range page.Collection {
			seen++
			if each != nil {
				if err := each(item); err != nil {
					return seen, err
				}
			}
		}
		if page.Pagination.NextPageToken == "" {
			return seen, nil
		}
		q.Set("page_token", page.Pagination.NextPageToken)
	}
	return seen, nil
}

func (s *Sync) get(ctx context.Context, conn *Connection, p string, query url.Values, out any) error {
	target := conn.Provider.BaseURL + p
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	return connectors.DoJSON(conn.HTTP, "calendly", req, out)
}

func utc(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
