package zapier

import (
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/custom"
)

// Normalize parses the catalog body (type or event_type). The body's id is the dedupe key
// when present, else the body's SHA-256.
func (Provider) Normalize(req *inbound.Request, _ inbound.Verified) ([]inbound.Parsed, error) {
	ev, err := custom.ParseBody(req.Body)
	if err != nil {
		return nil, err
	}
	key := ev.ID
	if key == "" {
		key = inbound.BodyKey(req.Body)
	}
	return []inbound.Parsed{{DedupeKey: key, ProviderEventID: ev.ID, ProviderType: ev.Type, Type: ev.Type, Time: ev.Time, Data: ev.Data}}, nil
}
