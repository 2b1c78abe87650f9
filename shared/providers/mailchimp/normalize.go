package mailchimp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
)

var typeMap = map[string]string{
	"subscribe":   envelope.ContactSubscribed,
	"unsubscribe": envelope.ContactUnsubscribed,
	"cleaned":     envelope.ContactUnsubscribed,
	"campaign":    envelope.MessageSent,
}

// firedAt is Mailchimp's time format (UTC).
const firedAt = "2006-01-02 15:04:05"

// Normalize parses a form body. Mailchimp sends no event id: the body's SHA-256 is the
// dedupe key. profile, upemail and unknown types are kept as provider.unmapped.
func (Provider) Normalize(req *inbound.Request, _ inbound.Verified) ([]inbound.Parsed, error) {
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, fmt.Errorf("%w: the body is not form-encoded", inbound.ErrInvalidPayload)
	}
	typ := form.Get("type")
	if typ == "" {
		return nil, fmt.Errorf("%w: type is required", inbound.ErrInvalidPayload)
	}
	p := inbound.Parsed{DedupeKey: inbound.BodyKey(req.Body), ProviderType: typ, ProviderEventID: form.Get("data[id]")}
	if t, err := time.Parse(firedAt, form.Get("fired_at")); err == nil {
		p.Time = t.UTC()
	}
	var data any
	switch canonical := typeMap[typ]; canonical {
	case envelope.ContactSubscribed, envelope.ContactUnsubscribed:
		p.Type = canonical
		data = envelope.Contact{ListID: form.Get("data[list_id]"), Email: form.Get("data[email]"),
			FirstName: form.Get("data[merges][FNAME]"), LastName: form.Get("data[merges][LNAME]")}
	case envelope.MessageSent:
		p.Type = canonical
		data = envelope.Message{CampaignID: form.Get("data[id]"), Subject: form.Get("data[subject]"), Status: form.Get("data[status]")}
	default:
		p.Type = envelope.ProviderUnmapped
		fields := map[string]string{}
		for k, v := range form {
			if inner, ok := strings.CutPrefix(k, "data["); ok {
				fields[strings.ReplaceAll(strings.TrimSuffix(inner, "]"), "][", ".")] = strings.Join(v, ",")
			}
		}
		data = fields
	}
	if p.Data, err = json.Marshal(data); err != nil {
		return nil, fmt.Errorf("%w: %v", inbound.ErrInvalidPayload, err)
	}
	return []inbound.Parsed{p}, nil
}
