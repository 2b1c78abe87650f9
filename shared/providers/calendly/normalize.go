package calendly

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
)

var typeMap = map[string]string{
	"invitee.created":                 envelope.BookingCreated,
	"invitee.canceled":                envelope.BookingCancelled,
	"invitee_no_show.created":         envelope.BookingNoShow,
	"routing_form_submission.created": envelope.FormSubmitted,
}

type webhook struct {
	Event     string          `json:"event"`
	CreatedAt string          `json:"created_at"`
	Payload   json.RawMessage `json:"payload"`
}

type invitee struct {
	URI            string `json:"uri"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Invitee        string `json:"invitee"`
	ScheduledEvent struct {
		URI       string `json:"uri"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
		Location  struct {
			Type     string `json:"type"`
			Location string `json:"location"`
			JoinURL  string `json:"join_url"`
		} `json:"location"`
	} `json:"scheduled_event"`
	QuestionsAndAnswers []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"questions_and_answers"`
}

type routingForm struct {
	URI         string `json:"uri"`
	RoutingForm string `json:"routing_form"`
	Submitter   string `json:"submitter"`
	Questions   []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"questions_and_answers"`
}

// Normalize parses a Calendly webhook. Calendly sends no event id: the body's SHA-256 is
// the dedupe key. Unmapped events are kept as provider.unmapped with their payload.
func (Provider) Normalize(req *inbound.Request, _ inbound.Verified) ([]inbound.Parsed, error) {
	var w webhook
	if err := inbound.DecodeJSON(req.Body, &w); err != nil {
		return nil, err
	}
	payload := bytes.TrimSpace(w.Payload)
	if w.Event == "" || len(payload) == 0 || payload[0] != '{' {
		return nil, fmt.Errorf("%w: a Calendly webhook needs event and a payload object", inbound.ErrInvalidPayload)
	}
	p := inbound.Parsed{DedupeKey: inbound.BodyKey(req.Body), ProviderType: w.Event, Type: envelope.ProviderUnmapped, Data: payload}
	if t, err := time.Parse(time.RFC3339Nano, w.CreatedAt); err == nil {
		p.Time = t.UTC()
	}
	canonical, ok := typeMap[w.Event]
	if !ok {
		return []inbound.Parsed{p}, nil
	}
	var data any
	if canonical == envelope.FormSubmitted {
		var f routingForm
		if err := inbound.DecodeJSON(payload, &f); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		form := envelope.Form{FormID: lastSegment(f.RoutingForm), Responses: map[string]string{}}
		for _, qa := range f.Questions {
			form.Responses[qa.Question] = qa.Answer
		}
		p.ProviderEventID, data = lastSegment(f.URI), form
	} else {
		var in invitee
		if err := inbound.DecodeJSON(payload, &in); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		uri := in.URI
		if uri == "" {
			uri = in.Invitee
		}
		loc := in.ScheduledEvent.Location
		b := envelope.Booking{
			BookingID: lastSegment(uri), StartTime: utcTime(in.ScheduledEvent.StartTime), EndTime: utcTime(in.ScheduledEvent.EndTime),
			AttendeeName: in.Name, AttendeeEmail: in.Email, Location: loc.Location, MeetingURL: loc.JoinURL,
		}
		if b.Location == "" {
			b.Location = loc.Type
		}
		p.ProviderEventID, data = lastSegment(uri), b
	}
	encoded, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", inbound.ErrInvalidPayload, err)
	}
	p.Type, p.Data = canonical, encoded
	return []inbound.Parsed{p}, nil
}

func lastSegment(uri string) string {
	if uri == "" {
		return ""
	}
	return path.Base(uri)
}

func utcTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
