package envelope

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"strings"
	"time"
)

// SpecVersion is the CloudEvents version of every envelope.
const SpecVersion = "1.0"

// Origins say why an event exists.
const (
	OriginProvider = "provider"
	OriginReaction = "reaction"
	OriginSync     = "sync"
	OriginReplay   = "replay"
)

// Envelope is a normalized event, as stored, queued by key and delivered.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	TenantID        string          `json:"tenantid"`
	ConnectionID    string          `json:"connectionid"`
	Provider        string          `json:"provider"`
	ProviderEventID string          `json:"providereventid,omitempty"`
	ProviderType    string          `json:"providertype,omitempty"`
	CorrelationID   string          `json:"correlationid"`
	CausationID     string          `json:"causationid,omitempty"`
	Origin          string          `json:"origin"`
	EventVersion    string          `json:"eventversion"`
	Data            json.RawMessage `json:"data"`
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// EventID is the deterministic id of the event a connection received under a provider's
// dedupe key: "evt_" and the first 26 characters of the lower-case, unpadded base32 of
// sha256(connection id, NUL, key). The same delivery always yields the same id.
func EventID(connectionID, dedupeKey string) string {
	h := sha256.New()
	h.Write([]byte(connectionID))
	h.Write([]byte{0})
	h.Write([]byte(dedupeKey))
	var sum [sha256.Size]byte
	return "evt_" + strings.ToLower(idEncoding.EncodeToString(h.Sum(sum[:0]))[:26])
}
