package delivery

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return prefix + strings.ToLower(idEncoding.EncodeToString(h.Sum(nil))[:26])
}

// DeliveryID is the deterministic id of an event's delivery to a subscription, per replay.
func DeliveryID(eventID, subscriptionID string, replay int) string {
	return hashID("dlv_", eventID, subscriptionID, strconv.Itoa(replay))
}

// MessageID is the webhook-id of an event sent to a subscription: the same on every
// attempt and every replay, so receivers can deduplicate.
func MessageID(eventID, subscriptionID string) string {
	return hashID("msg_", eventID, subscriptionID)
}
