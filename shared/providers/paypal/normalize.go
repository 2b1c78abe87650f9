package paypal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/inbound"
)

var typeMap = map[string]string{
	"PAYMENT.CAPTURE.COMPLETED": envelope.PaymentReceived,
	"PAYMENT.CAPTURE.DENIED":    envelope.PaymentFailed,
	"PAYMENT.CAPTURE.REFUNDED":  envelope.PaymentRefunded,
	"CUSTOMER.DISPUTE.CREATED":  envelope.PaymentDisputed,
}

type event struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	CreateTime string          `json:"create_time"`
	Resource   json.RawMessage `json:"resource"`
}

type money struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

type resource struct {
	ID       string `json:"id"`
	Amount   *money `json:"amount"`
	CustomID string `json:"custom_id"`
	Invoice  string `json:"invoice_id"`
	Payer    struct {
		EmailAddress string `json:"email_address"`
		PayerID      string `json:"payer_id"`
	} `json:"payer"`
	DisputeID     string `json:"dispute_id"`
	DisputeAmount *money `json:"dispute_amount"`
	Transactions  []struct {
		SellerTransactionID string `json:"seller_transaction_id"`
		Buyer               struct {
			Email string `json:"email"`
			Name  string `json:"name"`
		} `json:"buyer"`
	} `json:"disputed_transactions"`
	SupplementaryData struct {
		RelatedIDs struct {
			OrderID   string `json:"order_id"`
			CaptureID string `json:"capture_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
}

// Normalize parses a PayPal event; its id is the dedupe key. Unmapped types are kept as
// provider.unmapped with the resource as data.
func (Provider) Normalize(req *inbound.Request, _ inbound.Verified) ([]inbound.Parsed, error) {
	var ev event
	if err := inbound.DecodeJSON(req.Body, &ev); err != nil {
		return nil, err
	}
	res := bytes.TrimSpace(ev.Resource)
	if ev.ID == "" || ev.EventType == "" || len(res) == 0 || res[0] != '{' {
		return nil, fmt.Errorf("%w: a PayPal event needs id, event_type and a resource object", inbound.ErrInvalidPayload)
	}
	p := inbound.Parsed{DedupeKey: ev.ID, ProviderEventID: ev.ID, ProviderType: ev.EventType, Type: envelope.ProviderUnmapped, Data: res}
	if t, err := time.Parse(time.RFC3339Nano, ev.CreateTime); err == nil {
		p.Time = t.UTC()
	}
	canonical, ok := typeMap[ev.EventType]
	if !ok {
		return []inbound.Parsed{p}, nil
	}
	var r resource
	if err := inbound.DecodeJSON(res, &r); err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	pay := envelope.Payment{PaymentID: r.ID, CustomerEmail: r.Payer.EmailAddress, CustomerID: r.Payer.PayerID, BookingID: r.CustomID}
	amount := r.Amount
	if canonical == envelope.PaymentDisputed {
		amount = r.DisputeAmount
		pay.PaymentID = r.DisputeID
		if len(r.Transactions) > 0 {
			pay.PaymentID = r.Transactions[0].SellerTransactionID
			pay.CustomerEmail = r.Transactions[0].Buyer.Email
			if name := r.Transactions[0].Buyer.Name; name != "" {
				pay.Customer = &envelope.Customer{Name: name}
			}
		}
	}
	if amount != nil {
		minor, err := MinorUnits(amount.Value, amount.CurrencyCode)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", inbound.ErrInvalidPayload, err)
		}
		pay.Currency = strings.ToUpper(amount.CurrencyCode)
		if canonical == envelope.PaymentRefunded {
			pay.RefundAmount = &minor
		} else {
			pay.Amount = &minor
		}
	}
	if canonical == envelope.PaymentRefunded && r.SupplementaryData.RelatedIDs.CaptureID != "" {
		pay.PaymentID = r.SupplementaryData.RelatedIDs.CaptureID
	}
	data, err := json.Marshal(pay)
	if err != nil {
		return nil, err
	}
	p.Type, p.Data = canonical, data
	return []inbound.Parsed{p}, nil
}

// zeroDecimal and threeDecimal list the ISO 4217 currencies whose minor unit is not 1/100.
var (
	zeroDecimal  = map[string]bool{"JPY": true, "HUF": true, "TWD": true, "KRW": true, "CLP": true, "ISK": true, "VND": true}
	threeDecimal = map[string]bool{"BHD": true, "KWD": true, "OMR": true, "JOD": true, "TND": true}
)

// MinorUnits turns PayPal's decimal string ("10.50") into an integer of the currency's
// minor unit (1050), exactly, without floating point.
func MinorUnits(value, currency string) (int64, error) {
	digits := 2
	switch cur := strings.ToUpper(currency); {
	case zeroDecimal[cur]:
		digits = 0
	case threeDecimal[cur]:
		digits = 3
	}
	whole, frac, _ := strings.Cut(value, ".")
	if whole == "" || len(frac) > digits || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, fmt.Errorf("amount %.32q is not a %s amount", value, currency)
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %.32q is not a number", value)
	}
	return n, nil
}
