package envelope

// Payment is the data of payment.*, invoice.paid and checkout.completed events. Amounts are
// integers in minor units; Currency is ISO 4217 upper-case. Absent values are omitted.
// AmountDecimal and Customer belong to version 2027-01-15: a normalizer may set the
// customer's name, and Upgrade fills in the rest from the other fields.
type Payment struct {
	PaymentID     string    `json:"payment_id,omitempty"`
	Amount        *int64    `json:"amount,omitempty"`
	Currency      string    `json:"currency,omitempty"`
	CustomerID    string    `json:"customer_id,omitempty"`
	CustomerEmail string    `json:"customer_email,omitempty"`
	BookingID     string    `json:"booking_id,omitempty"`
	SupplierID    string    `json:"supplier_id,omitempty"`
	RefundAmount  *int64    `json:"refund_amount,omitempty"`
	AmountDecimal string    `json:"amount_decimal,omitempty"`
	Customer      *Customer `json:"customer,omitempty"`
}

// Booking is the data of booking.* events. Times are RFC 3339 UTC.
type Booking struct {
	BookingID     string `json:"booking_id,omitempty"`
	SupplierID    string `json:"supplier_id,omitempty"`
	StartTime     string `json:"start_time,omitempty"`
	EndTime       string `json:"end_time,omitempty"`
	AttendeeName  string `json:"attendee_name,omitempty"`
	AttendeeEmail string `json:"attendee_email,omitempty"`
	Location      string `json:"location,omitempty"`
	MeetingURL    string `json:"meeting_url,omitempty"`
	RefundAmount  *int64 `json:"refund_amount,omitempty"`
}

// Form is the data of form.* events.
type Form struct {
	FormID     string            `json:"form_id,omitempty"`
	FormTitle  string            `json:"form_title,omitempty"`
	SupplierID string            `json:"supplier_id,omitempty"`
	CoupleID   string            `json:"couple_id,omitempty"`
	CoupleName string            `json:"couple_name,omitempty"`
	Responses  map[string]string `json:"responses,omitempty"`
}

// Message is the data of message.* events.
type Message struct {
	MessageID  string `json:"message_id,omitempty"`
	CampaignID string `json:"campaign_id,omitempty"`
	Recipient  string `json:"recipient,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Status     string `json:"status,omitempty"`
}

// Contact is the data of contact.* events.
type Contact struct {
	ListID    string `json:"list_id,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}
