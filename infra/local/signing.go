package local

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/providers/paypal"
)

// DefaultSamples names each provider's default sample for make send, as its package says.
var DefaultSamples = func() map[string]string {
	out := map[string]string{}
	for kind, p := range providers.Registry() {
		if s, ok := p.(inbound.Seeder); ok {
			out[kind] = s.Sample()
		}
	}
	return out
}()

// SampleBody reads a provider's sample as it would post it: JSON as is, Mailchimp's form
// as is, Mandrill's event array form-encoded as mandrill_events.
func SampleBody(root, kind, event string) ([]byte, error) {
	dir := filepath.Join(root, "shared", "providers", kind, "testdata")
	switch kind {
	case "mailchimp":
		b, err := os.ReadFile(filepath.Join(dir, event+".form"))
		if err != nil {
			return nil, fmt.Errorf("no sample %q for %s: %w", event, kind, err)
		}
		return b, nil
	case "mandrill":
		b, err := os.ReadFile(filepath.Join(dir, event+".json"))
		if err != nil {
			return nil, fmt.Errorf("no sample %q for %s: %w", event, kind, err)
		}
		return []byte(url.Values{"mandrill_events": {string(b)}}.Encode()), nil
	default:
		return Fixture(root, kind, event)
	}
}

// Fresh makes a sample a new event, as a provider sending it for real at at would: a new id
// and the time it was made (the event's time, by which a tenant's events are listed and
// the scheduler looks for events never queued). A Stripe event is about a new object too (a
// new payment, a new refund), so each one yields its own receipt.
func Fresh(kind string, body []byte, at time.Time) ([]byte, error) {
	suffix := randomHex(8)
	switch kind {
	case "stripe":
		body, err := freshObject(body, suffix)
		if err == nil {
			body, err = setJSON(body, "created", at.Unix())
		}
		if err != nil {
			return nil, err
		}
		return setJSON(body, "id", "evt_local_"+suffix)
	case "zapier":
		body, err := setJSON(body, "timestamp", at.UTC().Format(time.RFC3339))
		if err != nil {
			return nil, err
		}
		return setJSON(body, "id", "evt_local_"+suffix)
	case "paypal":
		body, err := setJSON(body, "create_time", at.UTC().Format("2006-01-02T15:04:05.000Z"))
		if err != nil {
			return nil, err
		}
		return setJSON(body, "id", "WH-LOCAL-"+suffix)
	case "calendly":
		return setJSON(body, "created_at", at.UTC().Format(time.RFC3339Nano))
	case "mailchimp":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		form.Set("fired_at", at.UTC().Format("2006-01-02 15:04:05"))
		form.Set("data[id]", suffix)
		return []byte(form.Encode()), nil
	case "mandrill":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		var events []map[string]any
		if err := json.Unmarshal([]byte(form.Get("mandrill_events")), &events); err != nil {
			return nil, err
		}
		for i := range events {
			events[i]["ts"] = at.Unix() + int64(i)
			events[i]["_id"] = suffix + strconv.Itoa(i)
		}
		b, _ := json.Marshal(events)
		form.Set("mandrill_events", string(b))
		return []byte(form.Encode()), nil
	}
	return body, nil
}

// freshObject gives a Stripe event's data.object a new id with the same prefix (pi_, ch_…).
func freshObject(body []byte, suffix string) ([]byte, error) {
	var event struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &event); err != nil || event.Data["object"] == nil {
		return body, err
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(event.Data["object"], &object); err != nil {
		return body, nil
	}
	var id string
	_ = json.Unmarshal(object["id"], &id)
	prefix, _, _ := strings.Cut(id, "_")
	object["id"], _ = json.Marshal(prefix + "_local_" + suffix)
	fresh, err := json.Marshal(object)
	if err != nil {
		return nil, err
	}
	event.Data["object"] = fresh
	data, err := json.Marshal(event.Data)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	obj["data"] = data
	return json.Marshal(obj)
}

func setJSON(body []byte, key string, value any) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	obj[key], _ = json.Marshal(value)
	return json.Marshal(obj)
}

// Sign returns where and with which headers a provider posts body to conn, as its package
// signs (inbound.Sender); PayPal's with the local stack's test CA. msgID is the Standard
// Webhooks message id of custom senders.
func Sign(conn ConnectionState, msgID string, body []byte, at time.Time) (string, map[string]string, error) {
	if conn.Kind == paypal.Kind {
		h, err := signPayPal(conn, body, at)
		return conn.IngestURL, h, err
	}
	sender, ok := providers.Registry()[conn.Kind].(inbound.Sender)
	if !ok {
		return "", nil, fmt.Errorf("no signer for provider %q", conn.Kind)
	}
	return sender.Sign(conn.IngestURL, conn.Secret, msgID, body, at)
}

// SignedHeaders are the headers a provider sends with body, signed with secret at at. msgID
// is the Standard Webhooks message id (custom only).
func SignedHeaders(kind, secret, msgID string, body []byte, at time.Time) (map[string]string, error) {
	_, h, err := Sign(ConnectionState{Kind: kind, Secret: secret}, msgID, body, at)
	return h, err
}

// devSecret is a fresh secret of the kind a provider uses, as its package makes one.
func devSecret(kind string) string {
	if s, ok := providers.Registry()[kind].(inbound.Seeder); ok {
		return s.NewSecret()
	}
	return randomHex(32)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
