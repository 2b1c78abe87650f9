package act_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/reactions"
)

// calendlyServer answers Calendly API v2 in its documented shapes: users/me, event types,
// scheduled events and their invitees, each paginated with next_page_token (its next_page
// URLs name another host, which must never be called), and an OAuth2 token endpoint.
func calendlyServer(t *testing.T, start time.Time) (string, *[]string) {
	var mu sync.Mutex
	var seen []string
	var base string
	page := func(items []string, next string) string {
		pagination := `{"count":` + fmt.Sprint(len(items)) + `,"next_page":null,"next_page_token":null,"previous_page":null,"previous_page_token":null}`
		if next != "" {
			pagination = `{"count":` + fmt.Sprint(len(items)) + `,"next_page":"https://elsewhere.example/next?page_token=` + next +
				`","next_page_token":"` + next + `","previous_page":null,"previous_page_token":null}`
		}
		return `{"collection":[` + strings.Join(items, ",") + `],"pagination":` + pagination + `}`
	}
	event := func(uuid string, hours int) string {
		at := start.Add(time.Duration(hours) * time.Hour)
		return `{"uri":"` + base + `/scheduled_events/` + uuid + `","name":"Wedding consultation","status":"active",` +
			`"start_time":"` + at.Format("2006-01-02T15:04:05.000000Z") + `","end_time":"` + at.Add(time.Hour).Format("2006-01-02T15:04:05.000000Z") + `",` +
			`"event_type":"` + base + `/event_types/ET1","location":{"type":"physical","location":"The Old Hall"},` +
			`"invitees_counter":{"total":2,"active":1,"limit":1},"created_at":"2026-11-01T09:00:00.000000Z","updated_at":"2026-11-01T09:00:00.000000Z"}`
	}
	invitee := func(ev, uuid, name, status string) string {
		return `{"uri":"` + base + `/scheduled_events/` + ev + `/invitees/` + uuid + `","email":"` + strings.ToLower(name) + `@example.com",` +
			`"name":"` + name + `","status":"` + status + `","created_at":"2026-11-02T09:00:00.000000Z","updated_at":"2026-11-02T09:00:00.000000Z",` +
			`"event":"` + base + `/scheduled_events/` + ev + `","questions_and_answers":[],"rescheduled":false}`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI())
		mu.Unlock()
		w.Header().Set("content-type", "application/json")
		if r.URL.Path == "/oauth/token" {
			r.ParseForm()
			if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "cal_refresh" {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"invalid_grant","error_description":"The provided authorization grant is invalid"}`))
				return
			}
			w.Write([]byte(`{"token_type":"Bearer","access_token":"cal_access","refresh_token":"cal_refresh_2","expires_in":7200,"scope":"default","owner":"` + base + `/users/USR1"}`))
			return
		}
		if r.Header.Get("authorization") != "Bearer cal_access" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"title":"Unauthenticated","message":"The access token is invalid"}`))
			return
		}
		q := r.URL.Query()
		token := q.Get("page_token")
		switch r.URL.Path {
		case "/users/me":
			w.Write([]byte(`{"resource":{"uri":"` + base + `/users/USR1","name":"Hall Venue","slug":"hall-venue","email":"hall@example.com",` +
				`"scheduling_url":"https://calendly.com/hall-venue","timezone":"Europe/London","current_organization":"` + base + `/organizations/ORG1"}}`))
		case "/event_types":
			if token == "" {
				w.Write([]byte(page([]string{`{"uri":"` + base + `/event_types/ET1","name":"Wedding consultation","active":true,"duration":60}`}, "ETP2")))
			} else {
				w.Write([]byte(page([]string{`{"uri":"` + base + `/event_types/ET2","name":"Venue tour","active":true,"duration":30}`}, "")))
			}
		case "/scheduled_events":
			from, err := time.Parse(time.RFC3339, q.Get("min_start_time"))
			if q.Get("user") != base+"/users/USR1" || q.Get("status") != "active" || err != nil || from.Before(start) {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"title":"Invalid Argument","message":"The supplied parameters are invalid."}`))
				return
			}
			if token == "" {
				w.Write([]byte(page([]string{event("EV1", 24), event("EV2", 48)}, "SEP2")))
			} else {
				w.Write([]byte(page([]string{event("EV3", 72)}, "")))
			}
		case "/scheduled_events/EV1/invitees":
			if token == "" {
				w.Write([]byte(page([]string{invitee("EV1", "INV1", "Alex", "active")}, "INP2")))
			} else {
				w.Write([]byte(page([]string{invitee("EV1", "INV2", "Sam", "active")}, "")))
			}
		case "/scheduled_events/EV2/invitees":
			items := []string{invitee("EV2", "INV3", "Jo", "active")}
			if q.Get("status") != "active" {
				items = append(items, invitee("EV2", "INV4", "Lee", "canceled"))
			}
			w.Write([]byte(page(items, "")))
		case "/scheduled_events/EV3/invitees":
			w.Write([]byte(page(nil, "")))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"title":"Resource Not Found","message":"The server could not find the requested resource."}`))
		}
	}))
	base = srv.URL
	t.Cleanup(srv.Close)
	return srv.URL, &seen
}

// TestCalendlySync (acceptance 6): integration.sync imports one booking.created (origin sync,
// booking_id the invitee's uuid) per active invitee of each future scheduled event, reading
// every page by next_page_token on the configured host; a second run emits none; and
// nothing is derived from the synced bookings.
func TestCalendlySync(t *testing.T) {
	url, seen := calendlyServer(t, t0)
	r := newRig(t, map[string]string{"calendly": url})
	r.connect("calendly", "conn_cal", connectors.Secret{OAuth2: &connectors.OAuth2Client{ClientID: "cal_client", ClientSecret: "cal_secret", RefreshToken: "cal_refresh"}})
	ctx := context.Background()

	first := r.store("evt_sync_1", envelope.IntegrationSync, envelope.OriginReaction, `{"vendor_id":"v1","integration_type":"calendly"}`)
	if resp := r.runAct(message("m1", first.ID)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v\n%s", resp, r.logs.String())
	}
	out, data := r.outcome(first.ID)
	result := data["result"].(map[string]any)
	if out.Type != envelope.CommandSucceeded || result["bookings"] != 3.0 || result["scheduled_events"] != 3.0 || result["event_types"] != 2.0 {
		t.Fatalf("outcome %s %v", out.Type, data)
	}
	queued := r.drain(r.eventsURL)
	var bookings []string
	for _, id := range queued {
		if id == out.ID {
			continue
		}
		ev, err := r.events.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var env envelope.Envelope
		json.Unmarshal(ev.Envelope, &env)
		var b envelope.Booking
		json.Unmarshal(env.Data, &b)
		if env.Type != envelope.BookingCreated || env.Origin != envelope.OriginSync || env.ConnectionID != "conn_cal" ||
			env.CausationID != first.ID || b.Location != "The Old Hall" || b.StartTime == "" || b.AttendeeEmail == "" {
			t.Fatalf("synced event %s", ev.Envelope)
		}
		if derived := reactions.Rules(env); len(derived) != 0 {
			t.Fatalf("a synced booking derives %v", derived)
		}
		bookings = append(bookings, b.BookingID)
		if err := r.events.MarkProcessed(ctx, id, t0, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(bookings)
	if !slices.Equal(bookings, []string{"INV1", "INV2", "INV3"}) {
		t.Fatalf("booking ids %v, want the active invitees' uuids", bookings)
	}
	for _, uri := range *seen {
		if strings.Contains(uri, "elsewhere") {
			t.Fatalf("a next_page URL was followed: %s", uri)
		}
	}

	second := r.store("evt_sync_2", envelope.IntegrationSync, envelope.OriginReaction, `{"vendor_id":"v1","integration_type":"calendly"}`)
	r.clock.Advance(10 * time.Minute)
	r.runAct(message("m2", second.ID))
	_, data = r.outcome(second.ID)
	if result := data["result"].(map[string]any); result["bookings"] != 0.0 || result["already_synced"] != 3.0 {
		t.Fatalf("second run: %v", data)
	}
	if again := r.drain(r.eventsURL); len(again) != 1 {
		t.Fatalf("second run queued %v, want only its outcome", again)
	}

	if resp, err := r.process.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{message("p1", queued[0])}}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("process a synced booking: %v %v", resp, err)
	}
	if derived := r.drain(r.eventsURL); len(derived) != 0 {
		t.Fatalf("processing a synced booking queued %v", derived)
	}
}

// TestCalendlyRefusalEndsFailed: Calendly's 4xx ends the sync failed with its message.
func TestCalendlyRefusalEndsFailed(t *testing.T) {
	url, _ := calendlyServer(t, t0)
	r := newRig(t, map[string]string{"calendly": url})
	r.connect("calendly", "conn_cal", connectors.Secret{APIKey: "revoked_personal_token"})
	cmd := r.store("evt_sync", envelope.IntegrationSync, envelope.OriginReaction, `{"integration_type":"calendly"}`)
	r.runAct(message("m1", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || data["reason"] != "Unauthenticated: The access token is invalid" {
		t.Fatalf("outcome %s %v", out.Type, data)
	}
}
