package mandrill

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
)

// MaxEvents is the most events one request may carry.
const MaxEvents = 1000

var typeMap = map[string]string{
	"send":        envelope.MessageSent,
	"delivered":   envelope.MessageDelivered,
	"hard_bounce": envelope.MessageBounced,
	"soft_bounce": envelope.MessageBounced,
	"reject":      envelope.MessageBounced,
}

type element struct {
	Event string `json:"event"`
	Type  string `json:"type"`
	ID    string `json:"_id"`
	TS    int64  `json:"ts"`
	Msg   struct {
		ID      string `json:"_id"`
		Email   string `json:"email"`
		Subject string `json:"subject"`
		State   string `json:"state"`
	} `json:"msg"`
}

// Normalize splits mandrill_events into one event per element. Each element's SHA-256 is
// its dedupe key: its _id is the message's, which a send and its bounce share.
func (Provider) Normalize(req *inbound.Request, _ inbound.Verified) ([]inbound.Parsed, error) {
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, fmt.Errorf("%w: the body is not form-encoded", inbound.ErrInvalidPayload)
	}
	raw := form.Get("mandrill_events")
	if raw == "" {
		return nil, fmt.Errorf("%w: mandrill_events is required", inbound.ErrInvalidPayload)
	}
	var elements []json.RawMessage
	if err := inbound.DecodeJSON([]byte(raw), &elements); err != nil {
		return nil, fmt.Errorf("mandrill_events: %w", err)
	}
	if len(elements) > MaxEvents {
		return nil, fmt.Errorf("%w: %d events, at most %d", inbound.ErrInvalidPayload, len(elements), MaxEvents)
	}
	out := make([]inbound.Parsed, 0, len(elements))
	for i, el := range elements {
		el = bytes.TrimSpace(el)
		var e element
		if err := inbound.DecodeJSON(el, &e); err != nil {
			return nil, fmt.Errorf("mandrill_events[%d]: %w", i, err)
		}
		providerType := e.Event
		if providerType == "" {
			providerType = e.Type
		}
		if providerType == "" {
			return nil, fmt.Errorf("%w: mandrill_events[%d] has no event", inbound.ErrInvalidPayload, i)
		}
		p := inbound.Parsed{DedupeKey: inbound.BodyKey(el), ProviderEventID: e.ID, ProviderType: providerType,
			Type: envelope.ProviderUnmapped, Data: el, Raw: el}
		if e.TS > 0 {
			p.Time = time.Unix(e.TS, 0).UTC()
		}
		if canonical, ok := typeMap[e.Event]; ok {
			data, err := json.Marshal(envelope.Message{MessageID: e.Msg.ID, Recipient: e.Msg.Email, Subject: e.Msg.Subject, Status: e.Msg.State})
			if err != nil {
				return nil, err
			}
			p.Type, p.Data = canonical, data
		}
		out = append(out, p)
	}
	return out, nil
}
