package envelope

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Customer is the payer of a payment event, from version 2027-01-15 on.
type Customer struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// paymentTypes carry Payment data.
var paymentTypes = []string{PaymentReceived, PaymentFailed, PaymentRefunded, PaymentDisputed, InvoicePaid, CheckoutCompleted}

// IsPaymentType reports whether events of type t carry Payment data.
func IsPaymentType(t string) bool { return slices.Contains(paymentTypes, t) }

// paymentsUp adds 2027-01-15's fields to a payment's data: amount_decimal from amount and
// currency, and customer from customer_id and customer_email, keeping a name the data's
// own customer object has. Both are computed here, whoever sent the data.
func paymentsUp(typ string, data *object) bool {
	if !IsPaymentType(typ) {
		return false
	}
	data.remove("amount_decimal")
	if raw, ok := data.get("amount"); ok {
		if minor, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			if s, ok := Decimal(minor, data.str("currency")); ok {
				data.setValue("amount_decimal", s)
			}
		}
	}
	c := Customer{ID: data.str("customer_id"), Email: data.str("customer_email")}
	if raw, ok := data.get("customer"); ok {
		var given struct {
			Name any `json:"name"`
		}
		if json.Unmarshal(raw, &given) == nil {
			c.Name, _ = given.Name.(string)
		}
		data.remove("customer")
	}
	if c != (Customer{}) {
		data.setValue("customer", c)
	}
	return true
}

// paymentsDown removes 2027-01-15's fields.
func paymentsDown(typ string, data *object) bool {
	if !IsPaymentType(typ) {
		return false
	}
	data.remove("amount_decimal")
	data.remove("customer")
	return true
}
