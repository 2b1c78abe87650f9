package act

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wedsync/webhooks/shared/connectors"
)

// Email runs email.send through Mandrill's messages/send. A receipt that names a Stripe
// customer but no recipient gets the customer's e-mail from Stripe first (a GET, cached by
// the Stripe connection's client).
type Email struct {
	Connections Connections
}

var _ Runner = Email{}

// AtMostOnce is true: Mandrill has no idempotency key.
func (Email) AtMostOnce() bool { return true }

type emailData struct {
	Template   string `json:"template"`
	Recipient  string `json:"recipient"`
	CustomerID string `json:"customer_id"`
	BookingID  string `json:"booking_id"`
	PaymentID  string `json:"payment_id"`
	Amount     *int64 `json:"amount"`
	Currency   string `json:"currency"`
	StartTime  string `json:"start_time"`
	Location   string `json:"location"`
	MeetingURL string `json:"meeting_url"`
}

// mandrillResult is one recipient's line of Mandrill's answer to messages/send.
type mandrillResult struct {
	Email        string `json:"email"`
	Status       string `json:"status"`
	RejectReason string `json:"reject_reason"`
	ID           string `json:"_id"`
}

// Run sends the e-mail.
func (e Email) Run(ctx context.Context, cmd Command) (Outcome, error) {
	var d emailData
	if err := cmd.decode(&d); err != nil {
		return failed("the command's data is not an object", nil), nil
	}
	recipient := d.Recipient
	if recipient == "" && d.CustomerID != "" {
		found, end, err := e.customerEmail(ctx, cmd, d.CustomerID)
		if end != nil || err != nil {
			return *end, err
		}
		recipient = found
	}
	if recipient == "" {
		return failed("the e-mail has no recipient", nil), nil
	}
	subject, text := render(d)
	message := map[string]any{
		"subject": subject, "text": text, "to": []map[string]string{{"email": recipient, "type": "to"}},
		"tags": []string{"wedsync", d.Template}, "metadata": map[string]string{"wedsync_command_id": cmd.Event.ID},
	}
	if from := cmd.Conn.Secret.FromEmail; from != "" {
		message["from_email"] = from
	}
	body, err := json.Marshal(map[string]any{"key": cmd.Conn.Secret.APIKey, "message": message, "async": false})
	if err != nil {
		return Outcome{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cmd.Conn.Provider.BaseURL+"/messages/send", bytes.NewReader(body))
	if err != nil {
		return Outcome{}, err
	}
	req.Header.Set("content-type", "application/json")
	var results []mandrillResult
	if err := connectors.DoJSON(cmd.Conn.HTTP, "mandrill", req, &results); err != nil {
		return endOf(err)
	}
	if len(results) == 0 {
		return failed("Mandrill answered with no recipient", nil), nil
	}
	r := results[0]
	if r.Status == "rejected" || r.Status == "invalid" {
		return failed("Mandrill did not send it: "+firstOf(r.RejectReason, r.Status), map[string]any{"status": r.Status, "message_id": r.ID}), nil
	}
	return succeeded(map[string]any{"message_id": r.ID, "status": r.Status, "recipient": r.Email}), nil
}

// customerEmail looks a Stripe customer's e-mail up; a non-nil Outcome ends the command.
func (e Email) customerEmail(ctx context.Context, cmd Command, customerID string) (string, *Outcome, error) {
	sc, err := e.Connections.For(ctx, cmd.Event.TenantID, "stripe")
	if errors.Is(err, ErrNoConnection) {
		o := failed("the e-mail has no recipient and the tenant has no Stripe connection to look customer "+customerID+" up", nil)
		return "", &o, nil
	}
	if err != nil {
		return "", &Outcome{}, err
	}
	c, err := sc.Stripe.V1Customers.Retrieve(ctx, customerID, nil)
	if err != nil {
		o, err := endOf(err)
		return "", &o, err
	}
	if c.Email == "" {
		o := failed("the e-mail has no recipient and Stripe customer "+customerID+" has no e-mail", nil)
		return "", &o, nil
	}
	return c.Email, nil, nil
}

// render writes the e-mail of a template.
func render(d emailData) (subject, text string) {
	var b strings.Builder
	switch d.Template {
	case "booking_confirmation":
		subject = "Your booking is confirmed"
		fmt.Fprintf(&b, "Your booking %s is confirmed", d.BookingID)
		if d.StartTime != "" {
			fmt.Fprintf(&b, " for %s", d.StartTime)
		}
		if where := firstOf(d.MeetingURL, d.Location); where != "" {
			fmt.Fprintf(&b, " at %s", where)
		}
		b.WriteString(".")
	case "payment_receipt":
		subject = "Your payment receipt"
		b.WriteString("Thank you: we received your payment")
		if d.Amount != nil {
			fmt.Fprintf(&b, " of %d.%02d %s", *d.Amount/100, *d.Amount%100, d.Currency)
		}
		if d.PaymentID != "" {
			fmt.Fprintf(&b, " (reference %s)", d.PaymentID)
		}
		b.WriteString(".")
	case "welcome":
		subject = "Welcome to WedSync"
		b.WriteString("Your integration is connected.")
	default:
		subject = "A message from WedSync"
		b.WriteString("You have a new message from WedSync.")
	}
	return subject, b.String()
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
