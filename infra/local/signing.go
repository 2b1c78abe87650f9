package local

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// DefaultSamples names each provider's default sample for make send.
var DefaultSamples = map[string]string{
	"stripe": "payment_intent.succeeded", "custom": "booking.created", "calendly": "invitee.created",
	"zapier": "booking.updated", "mailchimp": "subscribe", "mandrill": "events", "paypal": "PAYMENT.CAPTURE.COMPLETED",
}

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

// Fresh makes a sample a new event, as a provider sending it again for real would: a new
// id, or a new time where the provider sends no id. A Stripe event is about a new object
// too (a new payment, a new refund), so each one yields its own receipt.
func Fresh(kind string, body []byte, at time.Time) ([]byte, error) {
	suffix := randomHex(8)
	switch kind {
	case "stripe":
		body, err := freshObject(body, suffix)
		if err != nil {
			return nil, err
		}
		return setJSON(body, "id", "evt_local_"+suffix)
	case "zapier":
		return setJSON(body, "id", "evt_local_"+suffix)
	case "paypal":
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

func setJSON(body []byte, key, value string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	obj[key], _ = json.Marshal(value)
	return json.Marshal(obj)
}

// Sign returns where and with which headers a provider posts body to conn: its ingest URL
// (with ?key= for Mailchimp) and its signature headers. msgID is the Standard Webhooks
// message id of custom senders.
func Sign(conn ConnectionState, msgID string, body []byte, at time.Time) (string, map[string]string, error) {
	switch conn.Kind {
	case "mailchimp":
		return conn.IngestURL + "?key=" + url.QueryEscape(conn.Secret),
			map[string]string{"content-type": "application/x-www-form-urlencoded"}, nil
	case "paypal":
		h, err := signPayPal(conn, body, at)
		return conn.IngestURL, h, err
	case "mandrill":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", nil, err
		}
		return conn.IngestURL, map[string]string{"content-type": "application/x-www-form-urlencoded",
			mandrill.SignatureHeader: mandrill.Sign(conn.Secret, conn.IngestURL, form)}, nil
	}
	h, err := SignedHeaders(conn.Kind, conn.Secret, msgID, body, at)
	return conn.IngestURL, h, err
}

// SignedHeaders are the headers a provider whose signature covers only the body sends with
// body, signed with secret at at. msgID is the Standard Webhooks message id (custom only).
func SignedHeaders(kind, secret, msgID string, body []byte, at time.Time) (map[string]string, error) {
	switch kind {
	case "stripe", "calendly":
		ts := strconv.FormatInt(at.Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		header := map[string]string{"stripe": "stripe-signature", "calendly": "calendly-webhook-signature"}[kind]
		return map[string]string{"content-type": "application/json; charset=utf-8",
			header: "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))}, nil
	case "custom":
		key, err := stdwebhooks.DecodeSecret(secret)
		if err != nil {
			return nil, err
		}
		return map[string]string{"content-type": "application/json", stdwebhooks.HeaderID: msgID,
			stdwebhooks.HeaderTimestamp: strconv.FormatInt(at.Unix(), 10),
			stdwebhooks.HeaderSignature: stdwebhooks.Sign(key, msgID, at, body)}, nil
	case "zapier":
		return map[string]string{"content-type": "application/json", "authorization": "Bearer " + secret}, nil
	}
	return nil, fmt.Errorf("no signer for provider %q", kind)
}

// devSecret is a fresh secret of the kind a provider uses.
func devSecret(kind string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	switch kind {
	case "mailchimp":
		return base64.RawURLEncoding.EncodeToString(b)
	case "zapier":
		return "zap_" + base64.RawURLEncoding.EncodeToString(b)
	case "calendly", "mandrill":
		return base64.RawURLEncoding.EncodeToString(b)
	case "paypal":
		return "WH-DEV-" + strings.ToUpper(hex.EncodeToString(b[:8]))
	default:
		return stdwebhooks.SecretPrefix + base64.StdEncoding.EncodeToString(b)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
