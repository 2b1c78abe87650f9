package envelope

import (
	"encoding/json"
	"slices"
	"time"
)

// WebhookTest is the type of the event a subscription's test sends; it goes to that
// subscription alone and cannot be subscribed to.
const WebhookTest = "webhook.test"

// Field is one documented field of an event type's data.
type Field struct {
	Name string
	// Kind is the JSON Schema type: string, integer, number, boolean or object.
	Kind        string
	Format      string
	Pattern     string
	Description string
	// Since is the first version with the field; empty means every version.
	Since string
	// Fields are an object field's own fields.
	Fields []Field
	// Values is the type of an object field's values, for a map.
	Values string
	// Required fields are always present.
	Required bool
}

// TypeDoc documents one event type: what it means, where it comes from, and its data.
type TypeDoc struct {
	Type        string
	Summary     string
	Description string
	// Fields are the data's fields; events may carry others (a sender's own), which
	// consumers should ignore.
	Fields []Field
	// Example is an example of the data, at the first version (Upgrade adds the later
	// versions' fields).
	Example map[string]any
}

var (
	fAmount = Field{Name: "amount", Kind: "integer", Description: "Amount in minor units of currency (cents for USD, yen for JPY)."}
	fCurr   = Field{Name: "currency", Kind: "string", Pattern: "^[A-Z]{3}$", Description: "ISO 4217 currency code, upper-case."}
	fRefund = Field{Name: "refund_amount", Kind: "integer", Description: "Amount refunded, in minor units."}
	fSupp   = Field{Name: "supplier_id", Kind: "string", Description: "The supplier (from the provider's metadata or the sender), when known."}
	fBook   = Field{Name: "booking_id", Kind: "string", Description: "The booking, when known."}
	fStart  = Field{Name: "start_time", Kind: "string", Format: "date-time", Description: "Start, RFC 3339 UTC."}
	fEnd    = Field{Name: "end_time", Kind: "string", Format: "date-time", Description: "End, RFC 3339 UTC."}

	paymentFields = []Field{
		{Name: "payment_id", Kind: "string", Description: "The provider's payment (payment intent, capture, invoice or checkout session) id."},
		fAmount, fCurr,
		{Name: "customer_id", Kind: "string", Description: "The provider's customer or payer id."},
		{Name: "customer_email", Kind: "string", Description: "The payer's e-mail address."},
		fBook, fSupp, fRefund,
		{Name: "amount_decimal", Kind: "string", Pattern: `^-?[0-9]+(\.[0-9]+)?$`, Since: "2027-01-15",
			Description: "amount in the currency's major unit, with the currency's ISO 4217 exponent: \"123.45\" for 12345 USD."},
		{Name: "customer", Kind: "object", Since: "2027-01-15", Description: "The payer.", Fields: []Field{
			{Name: "id", Kind: "string", Description: "Same as customer_id."},
			{Name: "email", Kind: "string", Description: "Same as customer_email."},
			{Name: "name", Kind: "string", Description: "The payer's name, where the provider sends it."},
		}},
	}
	bookingFields = []Field{
		{Name: "booking_id", Kind: "string", Description: "The booking (Calendly invitee URI, or the sender's id)."},
		fSupp, fStart, fEnd,
		{Name: "attendee_name", Kind: "string", Description: "Who booked."},
		{Name: "attendee_email", Kind: "string", Description: "Their e-mail address."},
		{Name: "location", Kind: "string", Description: "Where it takes place."},
		{Name: "meeting_url", Kind: "string", Description: "The video meeting's URL."},
		{Name: "refund_amount", Kind: "integer", Description: "On cancellations, the amount to refund in minor units, when known."},
	}
	formFields = []Field{
		{Name: "form_id", Kind: "string", Description: "The form."},
		{Name: "form_title", Kind: "string", Description: "Its title."},
		fSupp,
		{Name: "couple_id", Kind: "string", Description: "The couple who answered, when known."},
		{Name: "couple_name", Kind: "string", Description: "Their names."},
		{Name: "responses", Kind: "object", Values: "string", Description: "Each question and its answer."},
	}
	messageFields = []Field{
		{Name: "message_id", Kind: "string", Description: "The provider's message id."},
		{Name: "campaign_id", Kind: "string", Description: "The campaign, for campaign sends."},
		{Name: "recipient", Kind: "string", Description: "The recipient's e-mail address."},
		{Name: "subject", Kind: "string", Description: "The subject line."},
		{Name: "status", Kind: "string", Description: "The provider's status (sent, delivered, hard_bounce, soft_bounce, reject…)."},
	}
	contactFields = []Field{
		{Name: "list_id", Kind: "string", Description: "The audience or list."},
		{Name: "email", Kind: "string", Description: "The contact's e-mail address."},
		{Name: "first_name", Kind: "string"},
		{Name: "last_name", Kind: "string"},
	}
	vendorFields = []Field{
		{Name: "vendor_id", Kind: "string", Description: "The vendor."},
		{Name: "vendor_email", Kind: "string", Description: "Their e-mail address."},
		{Name: "integration_type", Kind: "string", Description: "What they connected (stripe, calendly…)."},
	}
	calendarFields = []Field{fBook, fSupp, fStart, fEnd,
		{Name: "version", Kind: "string", Required: true, Description: "The booking's version (milliseconds since the epoch of the event that caused it): discard a block or unblock older than one already applied."}}

	commandFields = []Field{
		{Name: "command_type", Kind: "string", Required: true, Description: "The command's type."},
		{Name: "command_id", Kind: "string", Required: true, Description: "The command's event id."},
		{Name: "provider", Kind: "string", Description: "The provider whose API ran it, when a connection did."},
		{Name: "result", Kind: "object", Description: "What the provider answered: its ids on success, its status and code on failure."},
	}

	paymentExample = map[string]any{"payment_id": "pi_3PQa1b2C3d4E5f6G", "amount": 250000, "currency": "GBP",
		"customer_id": "cus_Q1w2E3r4T5y6", "customer_email": "alex.smith@example.com", "booking_id": "bk_8812",
		"supplier_id": "sup_venue_hall", "customer": map[string]any{"name": "Alex Smith"}}
	bookingExample = map[string]any{"booking_id": "bk_8812", "supplier_id": "sup_venue_hall", "start_time": "2027-06-14T13:00:00Z",
		"end_time": "2027-06-14T23:00:00Z", "attendee_name": "Alex Smith", "attendee_email": "alex.smith@example.com", "location": "The Old Hall"}
)

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

var catalog = []TypeDoc{
	{Type: BookingCreated, Summary: "A booking was made", Description: "Calendly invitee.created, or a booking system or Zapier.", Fields: bookingFields, Example: bookingExample},
	{Type: BookingUpdated, Summary: "A booking changed", Description: "Posted by a booking system or Zapier.", Fields: bookingFields, Example: bookingExample},
	{Type: BookingCancelled, Summary: "A booking was cancelled", Description: "Calendly invitee.canceled, or a booking system or Zapier; with refund_amount, WedSync derives payment.refund.", Fields: bookingFields, Example: with(bookingExample, "refund_amount", 50000)},
	{Type: BookingNoShow, Summary: "The attendee did not show up", Description: "Calendly invitee_no_show.created.", Fields: bookingFields, Example: bookingExample},
	{Type: PaymentReceived, Summary: "A payment succeeded", Description: "Stripe payment_intent.succeeded (its only source, so one payment is one receipt), PayPal PAYMENT.CAPTURE.COMPLETED.", Fields: paymentFields, Example: paymentExample},
	{Type: PaymentFailed, Summary: "A payment failed", Description: "Stripe payment_intent.payment_failed and invoice.payment_failed, PayPal PAYMENT.CAPTURE.DENIED.", Fields: paymentFields, Example: paymentExample},
	{Type: PaymentRefunded, Summary: "A payment was refunded", Description: "Stripe charge.refunded, PayPal PAYMENT.CAPTURE.REFUNDED.", Fields: paymentFields, Example: with(paymentExample, "refund_amount", 50000)},
	{Type: PaymentDisputed, Summary: "A payment was disputed", Description: "Stripe charge.dispute.created, PayPal CUSTOMER.DISPUTE.CREATED.", Fields: paymentFields, Example: paymentExample},
	{Type: InvoicePaid, Summary: "An invoice was paid", Description: "Stripe invoice.paid.", Fields: paymentFields, Example: with(paymentExample, "payment_id", "in_1PQa1b2C3d4E5f6G", "customer", nil)},
	{Type: CheckoutCompleted, Summary: "A checkout session completed", Description: "Stripe checkout.session.completed.", Fields: paymentFields, Example: with(paymentExample, "payment_id", "cs_test_a1B2c3D4e5F6")},
	{Type: FormSubmitted, Summary: "A form was submitted", Description: "Calendly routing_form_submission.created, or a sender.", Fields: formFields,
		Example: map[string]any{"form_id": "f_1", "form_title": "Wedding questionnaire", "supplier_id": "sup_venue_hall", "couple_name": "Sam & Alex", "responses": map[string]any{"guests": "120"}}},
	{Type: FormUpdated, Summary: "A form's answers changed", Description: "Posted by a sender.", Fields: formFields,
		Example: map[string]any{"form_id": "f_1", "form_title": "Wedding questionnaire", "couple_name": "Sam & Alex", "responses": map[string]any{"guests": "125"}}},
	{Type: VendorConnected, Summary: "A vendor connected an integration", Description: "Posted by a sender; WedSync derives integration.sync and a welcome email.send.", Fields: vendorFields,
		Example: map[string]any{"vendor_id": "ven_42", "vendor_email": "hello@lumiere.example", "integration_type": "calendly"}},
	{Type: VendorDisconnected, Summary: "A vendor disconnected an integration", Description: "Posted by a sender.", Fields: vendorFields,
		Example: map[string]any{"vendor_id": "ven_42", "integration_type": "calendly"}},
	{Type: AvailabilityChanged, Summary: "A supplier's availability changed", Description: "Posted by a booking system or Zapier; the data is the sender's.", Fields: []Field{fSupp, fStart, fEnd},
		Example: map[string]any{"supplier_id": "sup_venue_hall", "start_time": "2027-06-14T00:00:00Z", "end_time": "2027-06-15T00:00:00Z"}},
	{Type: ReviewReceived, Summary: "A review was received", Description: "Posted by a sender; the data is the sender's.", Fields: []Field{fSupp},
		Example: map[string]any{"supplier_id": "sup_venue_hall", "rating": 5}},
	{Type: MessageSent, Summary: "A message was sent", Description: "Mandrill send, Mailchimp campaign.", Fields: messageFields,
		Example: map[string]any{"message_id": "msg_7f3a", "recipient": "alex.smith@example.com", "subject": "Your booking", "status": "sent"}},
	{Type: MessageDelivered, Summary: "A message was delivered", Description: "Mandrill delivered.", Fields: messageFields,
		Example: map[string]any{"message_id": "msg_7f3a", "recipient": "alex.smith@example.com", "status": "delivered"}},
	{Type: MessageBounced, Summary: "A message bounced", Description: "Mandrill hard_bounce, soft_bounce and reject.", Fields: messageFields,
		Example: map[string]any{"message_id": "msg_7f3a", "recipient": "alex.smith@example.com", "status": "hard_bounce"}},
	{Type: ContactSubscribed, Summary: "A contact subscribed", Description: "Mailchimp subscribe.", Fields: contactFields,
		Example: map[string]any{"list_id": "a6b5da1054", "email": "alex.smith@example.com", "first_name": "Alex", "last_name": "Smith"}},
	{Type: ContactUnsubscribed, Summary: "A contact unsubscribed", Description: "Mailchimp unsubscribe and cleaned.", Fields: contactFields,
		Example: map[string]any{"list_id": "a6b5da1054", "email": "alex.smith@example.com"}},
	{Type: EmailSend, Summary: "An e-mail should be sent", Description: "Derived: a booking confirmation (booking.created), a payment receipt (payment.received, one per payment) or a welcome (vendor.connected).", Fields: []Field{
		{Name: "template", Kind: "string", Required: true, Description: "booking_confirmation, payment_receipt or welcome."},
		{Name: "recipient", Kind: "string", Description: "The e-mail address, when known."},
		fBook, fStart, fEnd, {Name: "location", Kind: "string"}, {Name: "meeting_url", Kind: "string"},
		{Name: "payment_id", Kind: "string"}, fAmount, fCurr, {Name: "customer_id", Kind: "string", Description: "The provider's customer, on receipts."},
		{Name: "vendor_id", Kind: "string"}},
		Example: map[string]any{"template": "payment_receipt", "recipient": "alex.smith@example.com", "payment_id": "pi_3PQa1b2C3d4E5f6G", "amount": 250000, "currency": "GBP", "booking_id": "bk_8812"}},
	{Type: NotificationSend, Summary: "The supplier should be notified", Description: "Derived from booking.created and form.submitted.", Fields: []Field{
		{Name: "template", Kind: "string", Required: true, Description: "new_booking or form_submitted."},
		fBook, fSupp, {Name: "attendee_name", Kind: "string"}, fStart,
		{Name: "form_id", Kind: "string"}, {Name: "form_title", Kind: "string"}, {Name: "couple_name", Kind: "string"}},
		Example: map[string]any{"template": "new_booking", "booking_id": "bk_8812", "supplier_id": "sup_venue_hall", "attendee_name": "Alex Smith", "start_time": "2027-06-14T13:00:00Z"}},
	{Type: CalendarBlock, Summary: "A calendar slot should be blocked", Description: "Derived from booking.created.", Fields: calendarFields,
		Example: map[string]any{"booking_id": "bk_8812", "supplier_id": "sup_venue_hall", "start_time": "2027-06-14T13:00:00Z", "end_time": "2027-06-14T23:00:00Z", "version": "1795600680000"}},
	{Type: CalendarUnblock, Summary: "A calendar slot should be freed", Description: "Derived from booking.cancelled.", Fields: calendarFields,
		Example: map[string]any{"booking_id": "bk_8812", "supplier_id": "sup_venue_hall", "start_time": "2027-06-14T13:00:00Z", "end_time": "2027-06-14T23:00:00Z", "version": "1795600680000"}},
	{Type: PaymentRefund, Summary: "A refund should be made", Description: "Derived from booking.cancelled with a refund_amount.", Fields: []Field{fBook, fSupp, fRefund,
		{Name: "payment_id", Kind: "string", Description: "The payment to refund, when the booking knows it."}, fCurr},
		Example: map[string]any{"booking_id": "bk_8812", "supplier_id": "sup_venue_hall", "refund_amount": 50000, "currency": "GBP"}},
	{Type: IntegrationSync, Summary: "A vendor's integration should be synced", Description: "Derived from vendor.connected.", Fields: []Field{
		{Name: "vendor_id", Kind: "string"}, {Name: "integration_type", Kind: "string"}},
		Example: map[string]any{"vendor_id": "ven_42", "integration_type": "calendly"}},
	{Type: SubscriptionDisabled, Summary: "WedSync disabled a subscription", Description: "Emitted when an endpoint answered 410 Gone or failed for 5 days.", Fields: []Field{
		{Name: "subscription_id", Kind: "string", Required: true}, {Name: "endpoint_url", Kind: "string", Required: true},
		{Name: "reason", Kind: "string", Required: true, Description: "Why it was disabled."},
		{Name: "disabled_at", Kind: "string", Format: "date-time", Required: true}},
		Example: map[string]any{"subscription_id": "sub_x7k2m4p6q8r1s3t5v7w9", "endpoint_url": "https://hooks.lumiere.example/wedsync",
			"reason": "the endpoint answered 410 Gone", "disabled_at": "2026-11-25T10:00:00Z"}},
	{Type: CommandSucceeded, Summary: "A command was carried out", Description: "The outcome of a command (payment.refund, email.send, integration.sync, notification.send) that act ran through the provider's API with the tenant's credentials; causationid is the command.", Fields: commandFields,
		Example: map[string]any{"command_type": "payment.refund", "command_id": "evt_b5r7t2kq4xw9m3c6v8n1z5p7lq", "provider": "stripe", "result": map[string]any{"refund_id": "re_3PQa1b2C3d4E5f6G", "status": "succeeded"}}},
	{Type: CommandFailed, Summary: "A command could not be carried out", Description: "The outcome of a command the provider refused or whose outcome is unknown; reason says why, result holds the provider's status and code when it answered.",
		Fields:  append(slices.Clone(commandFields), Field{Name: "reason", Kind: "string", Required: true, Description: "Why it failed."}),
		Example: map[string]any{"command_type": "payment.refund", "command_id": "evt_b5r7t2kq4xw9m3c6v8n1z5p7lq", "provider": "stripe", "reason": "Charge ch_1 has already been refunded.", "result": map[string]any{"provider_status": 400, "provider_code": "charge_already_refunded"}}},
	{Type: ProviderUnmapped, Summary: "A provider event without a canonical type", Description: "Kept as the provider sent it: data is the provider's object (Stripe's data.object, PayPal's resource, Mailchimp's form fields), providertype names the provider's type.", Fields: nil,
		Example: map[string]any{"id": "cus_Q1w2E3r4T5y6", "object": "customer", "email": "alex.smith@example.com"}},
	{Type: WebhookTest, Summary: "A test event", Description: "Sent to one subscription by POST /v1/subscriptions/{id}/test; never fanned out, cannot be subscribed to.", Fields: []Field{
		{Name: "subscription_id", Kind: "string", Required: true}, {Name: "message", Kind: "string", Required: true}},
		Example: map[string]any{"subscription_id": "sub_x7k2m4p6q8r1s3t5v7w9", "message": "A test event from WedSync Webhooks."}},
}

// Catalog documents every type WedSync delivers, in catalog order: AllTypes, then
// webhook.test.
func Catalog() []TypeDoc { return slices.Clone(catalog) }

// DeliveredTypes are the types an endpoint may receive: AllTypes and webhook.test.
func DeliveredTypes() []string { return append(AllTypes(), WebhookTest) }

// LookupType returns the documentation of type t.
func LookupType(t string) (TypeDoc, bool) {
	i := slices.IndexFunc(catalog, func(d TypeDoc) bool { return d.Type == t })
	if i < 0 {
		return TypeDoc{}, false
	}
	return catalog[i], true
}

// FieldsAt are the type's fields at version v.
func (d TypeDoc) FieldsAt(v string) []Field {
	at := versionIndex(v)
	var out []Field
	for _, f := range d.Fields {
		if f.Since == "" || versionIndex(f.Since) <= at {
			out = append(out, f)
		}
	}
	return out
}

// ExampleEnvelope is an example event of the type, stored at the latest version.
func (d TypeDoc) ExampleEnvelope() Envelope {
	data := map[string]any{}
	for k, v := range d.Example {
		if v != nil {
			data[k] = v
		}
	}
	raw, _ := json.Marshal(data)
	at := time.Date(2026, 11, 25, 9, 58, 0, 0, time.UTC)
	env := Envelope{SpecVersion: SpecVersion, Type: d.Type, Time: at, DataContentType: "application/json",
		TenantID: "ten_lumiere", EventVersion: Latest(), Data: Upgrade(d.Type, raw)}
	switch {
	case d.Type == WebhookTest || d.Type == SubscriptionDisabled:
		env.Source, env.Provider, env.Origin = "wedsync/platform", "wedsync", OriginSync
		env.ID = EventID("wedsync:sub_x7k2m4p6q8r1s3t5v7w9", d.Type)
	case d.Type == ProviderUnmapped:
		env.Source, env.Provider, env.Origin, env.ConnectionID = "wedsync/stripe", "stripe", OriginProvider, "con_stripe_main"
		env.ID = EventID("con_stripe_main", "evt_1QfA2b3C4d5E6f7G")
		env.ProviderEventID, env.ProviderType = "evt_1QfA2b3C4d5E6f7G", "customer.created"
	case d.Type == CommandSucceeded || d.Type == CommandFailed:
		env.Source, env.Provider, env.Origin, env.ConnectionID = "wedsync/act", "wedsync", OriginReaction, "con_stripe_main"
		env.ID = EventID("act:ten_lumiere", "evt_b5r7t2kq4xw9m3c6v8n1z5p7lq")
		env.CausationID = "evt_b5r7t2kq4xw9m3c6v8n1z5p7lq"
	case slices.Contains(derivedTypes, d.Type):
		env.Source, env.Provider, env.Origin, env.ConnectionID = "wedsync/reactions", "wedsync", OriginReaction, "con_calendly_main"
		env.ID = EventID("reaction:ten_lumiere", d.Type)
		env.CausationID = EventID("con_calendly_main", "invitee-1")
	default:
		env.Source, env.Provider, env.Origin, env.ConnectionID = "wedsync/custom", "custom", OriginProvider, "con_crm_main"
		env.ID = EventID("con_crm_main", d.Type)
		env.ProviderEventID, env.ProviderType = "crm_"+d.Type, d.Type
	}
	env.CorrelationID = env.ID
	if env.CausationID != "" {
		env.CorrelationID = env.CausationID
	}
	return env
}
