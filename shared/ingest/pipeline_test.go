package ingest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// TestStripeEndToEnd: a signed payment_intent.succeeded is answered 200, queued by key
// alone, processed into a payment.received event; its redelivery is a duplicate.
func TestStripeEndToEnd(t *testing.T) {
	p := newPipeline(t, options{cacheTTL: time.Minute})
	body := stripeFixture(t)
	req := request("POST", "stripe", "conn-stripe", stripeHeaders(body, stripeSecret, now), body)

	a := invoke(t, p.stripe, req)
	if a.status != 200 || !a.body.Success || a.body.Data.Duplicate || !strings.HasPrefix(a.body.Data.EventID, "evt_") {
		t.Fatalf("first delivery: %d %s", a.status, a.raw)
	}
	msgs := p.drain()
	if len(msgs) != 1 {
		t.Fatalf("queued %d messages, want 1", len(msgs))
	}
	if got, want := aws.ToString(msgs[0].Body), `{"event_id":"`+a.body.Data.EventID+`"}`; got != want {
		t.Fatalf("message body %s, want %s", got, want)
	}
	p.processAll(msgs)

	evs := p.stored()
	if len(evs) != 1 {
		t.Fatalf("stored %d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.ID != a.body.Data.EventID || ev.Status != store.StatusProcessed || ev.Type != envelope.PaymentReceived {
		t.Fatalf("stored %+v", ev)
	}
	var env envelope.Envelope
	if err := json.Unmarshal(ev.Envelope, &env); err != nil {
		t.Fatal(err)
	}
	var data envelope.Payment
	if err := json.Unmarshal(env.Data, &data); err != nil {
		t.Fatal(err)
	}
	if env.ProviderEventID != "evt_3QaB1cDeFgHiJkLm0a1b2c3d" || env.ProviderType != "payment_intent.succeeded" ||
		env.TenantID != tenant || env.Source != "wedsync/stripe" || env.SpecVersion != "1.0" || env.CorrelationID != ev.ID ||
		data.Amount == nil || *data.Amount != 250000 || data.Currency != "GBP" || data.PaymentID != "pi_3QaB1cDeFgHiJkLm0xYz1234" {
		t.Fatalf("envelope %s", ev.Envelope)
	}
	if ev.ExpiresAt.IsZero() || len(ev.Raw) == 0 {
		t.Fatalf("stored event lacks TTL or raw body: %+v", ev)
	}

	again := invoke(t, p.stripe, req)
	if again.status != 200 || !again.body.Data.Duplicate || again.body.Data.EventID != a.body.Data.EventID {
		t.Fatalf("redelivery: %d %s", again.status, again.raw)
	}
	if n := len(p.drain()); n != 0 {
		t.Fatalf("a processed duplicate was queued again (%d messages)", n)
	}
	if n := len(p.stored()); n != 1 {
		t.Fatalf("redelivery stored a second event (%d)", n)
	}
}

// TestCustomEndToEnd: a Standard Webhooks-signed custom event travels the same way, and an
// unprocessed duplicate is queued again.
func TestCustomEndToEnd(t *testing.T) {
	p := newPipeline(t, options{})
	body := []byte(`{"type":"booking.created","id":"crm_1","data":{"booking_id":"bk_1","attendee_email":"a@example.com"}}`)
	req := request("POST", "custom", "conn-custom", customHeaders(t, body, customSecret, "msg_e2e", now), body)
	first := invoke(t, p.custom, req)
	second := invoke(t, p.custom, req)
	if first.status != 200 || second.status != 200 || first.body.Data.Duplicate || !second.body.Data.Duplicate ||
		first.body.Data.EventID != second.body.Data.EventID {
		t.Fatalf("first %d %s, second %d %s", first.status, first.raw, second.status, second.raw)
	}
	msgs := p.drain()
	if len(msgs) != 2 {
		t.Fatalf("an unprocessed duplicate must be queued again: %d messages, want 2", len(msgs))
	}
	p.processAll(msgs)
	evs := p.stored()
	if len(evs) != 1 || evs[0].Status != store.StatusProcessed || evs[0].Type != "booking.created" {
		t.Fatalf("stored %+v", evs)
	}
}
