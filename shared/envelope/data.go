package envelope

// Payment is the data of payment.*, invoice.paid and checkout.completed events. Amounts are
// integers in minor units; Currency is ISO 4217 upper-case. Absent values are omitted.
type Payment struct {
	PaymentID     string `json:"payment_id,omitempty"`
	Amount        *int64 `json:"amount,omitempty"`
	Currency      string `json:"currency,omitempty"`
	CustomerID    string `json:"customer_id,omitempty"`
	CustomerEmail string `json:"customer_email,omitempty"`
	BookingID     string `json:"booking_id,omitempty"`
	SupplierID    string `json:"supplier_id,omitempty"`
	RefundAmount  *int64 `json:"refund_amount,omitempty"`
}
