package stripe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
)

// typeMap maps Stripe event types to canonical types. payment_intent.succeeded is the only
// source of payment.received, so one payment yields one receipt.
var typeMap = map[string]string{
	"payment_intent.succeeded":      envelope.PaymentReceived,
	"payment_intent.payment_failed": envelope.PaymentFailed,
	"invoice.payment_failed":        envelope.PaymentFailed,
	"charge.refunded":               envelope.PaymentRefunded,
	"charge.dispute.created":        envelope.PaymentDisputed,
	"invoice.paid":                  envelope.InvoicePaid,
	"checkout.session.completed":    envelope.CheckoutCompleted,
}

type event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// object holds the fields of the Stripe objects we map: payment intents, charges,
// disputes, invoices and checkout sessions.
type object struct {
	ID              string            `json:"id"`
	Amount          *int64            `json:"amount"`
	AmountReceived  *int64            `json:"amount_received"`
	AmountRefunded  *int64            `json:"amount_refunded"`
	AmountPaid      *int64            `json:"amount_paid"`
	AmountDue       *int64            `json:"amount_due"`
	AmountTotal     *int64            `json:"amount_total"`
	Currency        string            `json:"currency"`
	Customer        json.RawMessage   `json:"customer"`
	PaymentIntent   json.RawMessage   `json:"payment_intent"`
	Charge          json.RawMessage   `json:"charge"`
	ReceiptEmail    string            `json:"receipt_email"`
	CustomerEmail   string            `json:"customer_email"`
	CustomerDetails *contact          `json:"customer_details"`
	BillingDetails  *contact          `json:"billing_details"`
	Shipping        *contact          `json:"shipping"`
	Metadata        map[string]string `json:"metadata"`
}

type contact struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// typedEvent decodes a mapped event in one pass, data.object straight into its fields.
type typedEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object *object `json:"object"`
	} `json:"data"`
}

// Normalize parses a Stripe event. Its id is the dedupe key; unmapped types are kept as
// provider.unmapped with the Stripe object as data.
func (Provider) Normalize(req *inbound.Request, _ inbound.Verified) ([]inbound.Parsed, error) {
	// Mapped types, the hot path, decode in one pass; unmapped types and bodies this pass
	// refuses take the second, which keeps the raw object and explains what is wrong.
	var te typedEvent
	if json.Unmarshal(req.Body, &te) == nil && te.ID != "" && te.Data.Object != nil {
		if canonical, ok := typeMap[te.Type]; ok {
			data, err := json.Marshal(payment(te.Type, te.Data.Object))
			if err != nil {
				return nil, fmt.Errorf("%w: %v", inbound.ErrInvalidPayload, err)
			}
			p := inbound.Parsed{DedupeKey: te.ID, ProviderEventID: te.ID, ProviderType: te.Type, Type: canonical, Data: data}
			if te.Created > 0 {
				p.Time = time.Unix(te.Created, 0).UTC()
			}
			return []inbound.Parsed{p}, nil
		}
	}
	var ev event
	if err := inbound.DecodeJSON(req.Body, &ev); err != nil {
		return nil, err
	}
	if ev.ID == "" || ev.Type == "" {
		return nil, fmt.Errorf("%w: a Stripe event needs id and type", inbound.ErrInvalidPayload)
	}
	raw := bytes.TrimSpace(ev.Data.Object)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%w: data.object must be an object", inbound.ErrInvalidPayload)
	}
	parsed := inbound.Parsed{
		DedupeKey:       ev.ID,
		ProviderEventID: ev.ID,
		ProviderType:    ev.Type,
		Type:            envelope.ProviderUnmapped,
		Data:            raw,
	}
	if ev.Created > 0 {
		parsed.Time = time.Unix(ev.Created, 0).UTC()
	}
	canonical, ok := typeMap[ev.Type]
	if !ok {
		return []inbound.Parsed{parsed}, nil
	}
	var obj object
	if err := inbound.DecodeJSON(raw, &obj); err != nil {
		return nil, fmt.Errorf("data.object of %s: %w", ev.Type, err)
	}
	data, err := json.Marshal(payment(ev.Type, &obj))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", inbound.ErrInvalidPayload, err)
	}
	parsed.Type, parsed.Data = canonical, data
	return []inbound.Parsed{parsed}, nil
}

func payment(stripeType string, o *object) envelope.Payment {
	p := envelope.Payment{
		PaymentID:  firstNonEmpty(idOf(o.PaymentIntent), o.ID),
		Currency:   strings.ToUpper(o.Currency),
		CustomerID: idOf(o.Customer),
		BookingID:  o.Metadata["booking_id"],
		SupplierID: o.Metadata["supplier_id"],
	}
	switch stripeType {
	case "payment_intent.succeeded":
		p.PaymentID = o.ID
		p.Amount = firstSet(o.AmountReceived, o.Amount)
		p.CustomerEmail = o.ReceiptEmail
		p.Customer = named(nameOf(o.Shipping))
	case "payment_intent.payment_failed":
		p.PaymentID = o.ID
		p.Amount = o.Amount
		p.CustomerEmail = o.ReceiptEmail
		p.Customer = named(nameOf(o.Shipping))
	case "charge.refunded":
		p.Amount = o.Amount
		p.RefundAmount = o.AmountRefunded
		p.CustomerEmail = firstNonEmpty(emailOf(o.BillingDetails), o.ReceiptEmail)
		p.Customer = named(firstNonEmpty(nameOf(o.BillingDetails), nameOf(o.Shipping)))
	case "charge.dispute.created":
		p.PaymentID = firstNonEmpty(idOf(o.PaymentIntent), idOf(o.Charge), o.ID)
		p.Amount = o.Amount
	case "invoice.paid":
		p.Amount = o.AmountPaid
		p.CustomerEmail = o.CustomerEmail
	case "invoice.payment_failed":
		p.Amount = o.AmountDue
		p.CustomerEmail = o.CustomerEmail
	case "checkout.session.completed":
		p.Amount = o.AmountTotal
		p.CustomerEmail = firstNonEmpty(emailOf(o.CustomerDetails), o.CustomerEmail)
		p.Customer = named(nameOf(o.CustomerDetails))
	}
	return p
}

// named is the customer object of a payer's name, nil without one: the rest of it is
// filled in from the other fields when the event is stored.
func named(name string) *envelope.Customer {
	if name == "" {
		return nil
	}
	return &envelope.Customer{Name: name}
}

func nameOf(c *contact) string {
	if c == nil {
		return ""
	}
	return c.Name
}

// idOf returns the id of an expandable Stripe field: a string id, or an object with "id".
func idOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{':
		var o struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &o) == nil {
			return o.ID
		}
	}
	return ""
}

func emailOf(c *contact) string {
	if c == nil {
		return ""
	}
	return c.Email
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstSet(values ...*int64) *int64 {
	for _, v := range values {
		if v != nil {
			return v
		}
	}
	return nil
}
