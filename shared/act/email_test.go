package act_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
)

// mandrill is a loopback server answering messages/send in Mandrill's documented shapes:
// the key in the JSON body, one result per recipient, every error a 500 with a name.
type mandrill struct {
	mu       sync.Mutex
	messages []map[string]any
	release  chan struct{}
}

func newMandrill(t *testing.T) (*mandrill, string) {
	m := &mandrill{release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Key     string         `json:"key"`
			Message map[string]any `json:"message"`
		}
		if r.URL.Path != "/messages/send" || json.NewDecoder(r.Body).Decode(&body) != nil {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"status":"error","code":-2,"name":"ValidationError","message":"You must specify a message value"}`))
			return
		}
		m.mu.Lock()
		m.messages = append(m.messages, body.Message)
		m.mu.Unlock()
		if body.Key != "md_good_key" {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"status":"error","code":-1,"name":"Invalid_Key","message":"Invalid API key"}`))
			return
		}
		to := body.Message["to"].([]any)[0].(map[string]any)["email"].(string)
		switch to {
		case "slow@example.com":
			<-m.release
		case "bounce@example.com":
			w.Write([]byte(`[{"email":"bounce@example.com","status":"rejected","reject_reason":"hard-bounce","_id":"rej1"}]`))
			return
		}
		w.Write([]byte(`[{"email":"` + to + `","status":"sent","reject_reason":null,"_id":"abc123abc123"}]`))
	}))
	t.Cleanup(func() { close(m.release); srv.Close() })
	return m, srv.URL
}

func (m *mandrill) sent() []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.messages...)
}

// stripeCustomers is a loopback server answering GET /v1/customers/{id} in Stripe's shape.
func stripeCustomers(t *testing.T, calls *int) string {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*calls++
		mu.Unlock()
		if r.Header.Get("authorization") != "Bearer sk_test_123" || r.URL.Path != "/v1/customers/cus_1" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such customer"}}`))
			return
		}
		w.Write([]byte(`{"id":"cus_1","object":"customer","email":"couple@example.com","name":"Alex Smith","livemode":false}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEmailThroughMandrill (acceptance 7): an email.send goes out through Mandrill's
// messages/send with the key in the body; the outcome carries Mandrill's message id.
func TestEmailThroughMandrill(t *testing.T) {
	m, url := newMandrill(t)
	r := newRig(t, map[string]string{"mandrill": url})
	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_good_key", FromEmail: "hello@venue.example"})
	cmd := r.store("evt_confirmation", envelope.EmailSend, envelope.OriginReaction,
		`{"template":"booking_confirmation","recipient":"alex@example.com","booking_id":"bk_1","start_time":"2027-06-14T13:00:00Z"}`)
	if resp := r.runAct(message("m1", cmd.ID)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v", resp)
	}
	out, data := r.outcome(cmd.ID)
	if out.Type != envelope.CommandSucceeded || data["result"].(map[string]any)["message_id"] != "abc123abc123" {
		t.Fatalf("outcome %s %v", out.Type, data)
	}
	sent := m.sent()
	if len(sent) != 1 || sent[0]["from_email"] != "hello@venue.example" || sent[0]["subject"] != "Your booking is confirmed" ||
		!strings.Contains(sent[0]["text"].(string), "bk_1") {
		t.Fatalf("sent %v", sent)
	}
}

// TestReceiptLooksUpTheStripeCustomer: a receipt naming a Stripe customer but no recipient
// gets the customer's e-mail from Stripe, once for two receipts (the GET is cached).
func TestReceiptLooksUpTheStripeCustomer(t *testing.T) {
	m, mdURL := newMandrill(t)
	lookups := 0
	r := newRig(t, map[string]string{"mandrill": mdURL, "stripe": stripeCustomers(t, &lookups)})
	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_good_key"})
	r.connect("stripe", "conn_stripe", connectors.Secret{APIKey: "sk_test_123"})
	for _, id := range []string{"evt_receipt_1", "evt_receipt_2"} {
		cmd := r.store(id, envelope.EmailSend, envelope.OriginReaction,
			`{"template":"payment_receipt","payment_id":"pi_1","amount":12550,"currency":"GBP","customer_id":"cus_1"}`)
		r.runAct(message("m-"+id, cmd.ID))
		if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandSucceeded {
			t.Fatalf("%s: %v", id, data)
		}
	}
	sent := m.sent()
	if len(sent) != 2 || lookups != 1 {
		t.Fatalf("%d e-mails after %d Stripe lookups, want 2 after 1", len(sent), lookups)
	}
	to := sent[1]["to"].([]any)[0].(map[string]any)["email"]
	if to != "couple@example.com" || !strings.Contains(sent[0]["text"].(string), "125.50 GBP") {
		t.Fatalf("sent %v", sent)
	}
	cmd := r.store("evt_receipt_unknown", envelope.EmailSend, envelope.OriginReaction, `{"template":"payment_receipt","customer_id":"cus_404"}`)
	r.runAct(message("m3", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || data["reason"] != "No such customer" {
		t.Fatalf("unknown customer: %s %v", out.Type, data)
	}
}

// TestMandrillRefusals: an Invalid_Key ends the command failed at once (never retried), a
// rejected recipient ends it failed with Mandrill's reason, no recipient fails before any
// call.
func TestMandrillRefusals(t *testing.T) {
	m, url := newMandrill(t)
	r := newRig(t, map[string]string{"mandrill": url})
	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_revoked_key"})
	cmd := r.store("evt_bad_key", envelope.EmailSend, envelope.OriginReaction, `{"template":"welcome","recipient":"v@example.com"}`)
	r.runAct(message("m1", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || data["reason"] != "Invalid API key" ||
		data["result"].(map[string]any)["provider_code"] != "Invalid_Key" || len(m.sent()) != 1 {
		t.Fatalf("invalid key: %s %v after %d calls", out.Type, data, len(m.sent()))
	}

	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_good_key"})
	r.clock.Advance(2 * time.Minute)
	cmd = r.store("evt_bounce", envelope.EmailSend, envelope.OriginReaction, `{"template":"welcome","recipient":"bounce@example.com"}`)
	r.runAct(message("m2", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || data["reason"] != "Mandrill did not send it: hard-bounce" {
		t.Fatalf("bounce: %s %v", out.Type, data)
	}
	cmd = r.store("evt_nobody", envelope.EmailSend, envelope.OriginReaction, `{"template":"welcome"}`)
	r.runAct(message("m3", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || data["reason"] != "the e-mail has no recipient" || len(m.sent()) != 2 {
		t.Fatalf("no recipient: %s %v", out.Type, data)
	}
}

// TestEmailIsSentAtMostOnce: Mandrill has no idempotency key, so a send that timed out
// ends failed as "outcome unknown" and is not sent again; nor is a command whose earlier
// run stopped without an outcome.
func TestEmailIsSentAtMostOnce(t *testing.T) {
	m, url := newMandrill(t)
	r := newRig(t, map[string]string{"mandrill": url})
	p := r.clients.Providers["mandrill"]
	p.Timeout = 100 * time.Millisecond
	r.clients.Providers["mandrill"] = p
	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_good_key"})

	cmd := r.store("evt_slow", envelope.EmailSend, envelope.OriginReaction, `{"template":"welcome","recipient":"slow@example.com"}`)
	r.runAct(message("m1", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || !strings.Contains(data["reason"].(string), "outcome unknown") {
		t.Fatalf("timed-out send: %s %v", out.Type, data)
	}

	cmd = r.store("evt_interrupted", envelope.EmailSend, envelope.OriginReaction, `{"template":"welcome","recipient":"v@example.com"}`)
	now := r.clock.Now()
	if _, err := r.actions.Lease(context.Background(), cmd.ID, now, now.Add(time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if resp := r.runAct(message("m2", cmd.ID)); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a command leased by a live run ran again: %+v", resp)
	}
	r.clock.Advance(2 * time.Minute)
	r.runAct(message("m3", cmd.ID))
	if out, data := r.outcome(cmd.ID); out.Type != envelope.CommandFailed || !strings.Contains(data["reason"].(string), "outcome unknown") {
		t.Fatalf("interrupted send: %s %v", out.Type, data)
	}
	if n := len(m.sent()); n != 1 {
		t.Fatalf("Mandrill got %d sends, want only the one that timed out", n)
	}
}
