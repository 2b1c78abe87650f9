package custom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// Body is what a sender that integrates with our catalog posts.
type Body struct {
	Type string `json:"type"`
	// EventType is Zapier's spelling of Type.
	EventType string          `json:"event_type"`
	ID        string          `json:"id"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Event is a validated catalog body.
type Event struct {
	Type string
	ID   string
	// Time is the body's timestamp, zero when it has none.
	Time time.Time
	Data json.RawMessage
}

// ParseBody validates a catalog body: type (or event_type) must be a canonical type a
// sender may post, data a JSON object, timestamp RFC 3339 when present.
func ParseBody(raw []byte) (Event, error) {
	var b Body
	if err := inbound.DecodeJSON(raw, &b); err != nil {
		return Event{}, err
	}
	t := b.Type
	if t == "" {
		t = b.EventType
	}
	if t == "" {
		return Event{}, fmt.Errorf("%w: type is required", inbound.ErrInvalidPayload)
	}
	if !envelope.IsSenderType(t) {
		return Event{}, fmt.Errorf("%w: %.64q is not one of: %s", inbound.ErrUnknownEventType, t,
			strings.Join(envelope.SenderTypes(), ", "))
	}
	data := bytes.TrimSpace(b.Data)
	if len(data) == 0 || data[0] != '{' {
		return Event{}, fmt.Errorf("%w: data must be a JSON object", inbound.ErrInvalidPayload)
	}
	ev := Event{Type: t, ID: b.ID, Data: data}
	if b.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, b.Timestamp)
		if err != nil {
			return Event{}, fmt.Errorf("%w: timestamp must be RFC 3339", inbound.ErrInvalidPayload)
		}
		ev.Time = ts.UTC()
	}
	return ev, nil
}

// Normalize parses the catalog body. The webhook-id header is the dedupe key; the event
// time is the body's timestamp, else the signature's.
func (Provider) Normalize(req *inbound.Request, v inbound.Verified) ([]inbound.Parsed, error) {
	ev, err := ParseBody(req.Body)
	if err != nil {
		return nil, err
	}
	msgID := req.Header[stdwebhooks.HeaderID]
	p := inbound.Parsed{
		DedupeKey:       msgID,
		ProviderEventID: ev.ID,
		ProviderType:    ev.Type,
		Type:            ev.Type,
		Time:            ev.Time,
		Data:            ev.Data,
	}
	if p.ProviderEventID == "" {
		p.ProviderEventID = msgID
	}
	if p.Time.IsZero() {
		p.Time = v.Timestamp
	}
	return []inbound.Parsed{p}, nil
}
