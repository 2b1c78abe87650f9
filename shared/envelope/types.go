package envelope

import "slices"

// Canonical event types. Consumers subscribe to these; providers map onto them.
const (
	BookingCreated       = "booking.created"
	BookingUpdated       = "booking.updated"
	BookingCancelled     = "booking.cancelled"
	BookingNoShow        = "booking.no_show"
	PaymentReceived      = "payment.received"
	PaymentFailed        = "payment.failed"
	PaymentRefunded      = "payment.refunded"
	PaymentDisputed      = "payment.disputed"
	InvoicePaid          = "invoice.paid"
	CheckoutCompleted    = "checkout.completed"
	FormSubmitted        = "form.submitted"
	FormUpdated          = "form.updated"
	VendorConnected      = "vendor.connected"
	VendorDisconnected   = "vendor.disconnected"
	AvailabilityChanged  = "availability.changed"
	ReviewReceived       = "review.received"
	MessageSent          = "message.sent"
	MessageDelivered     = "message.delivered"
	MessageBounced       = "message.bounced"
	ContactSubscribed    = "contact.subscribed"
	ContactUnsubscribed  = "contact.unsubscribed"
	SubscriptionDisabled = "subscription.disabled"

	EmailSend        = "email.send"
	NotificationSend = "notification.send"
	CalendarBlock    = "calendar.block"
	CalendarUnblock  = "calendar.unblock"
	PaymentRefund    = "payment.refund"
	IntegrationSync  = "integration.sync"

	ProviderUnmapped = "provider.unmapped"

	// CommandSucceeded and CommandFailed are the outcomes of the commands act runs.
	CommandSucceeded = "command.succeeded"
	CommandFailed    = "command.failed"
)

// senderTypes are the types a sender that integrates with our catalog (Zapier, a CRM, a
// booking system) may post: every canonical type that is neither derived by a reaction nor
// reserved for the platform itself.
var senderTypes = []string{
	BookingCreated, BookingUpdated, BookingCancelled, BookingNoShow,
	PaymentReceived, PaymentFailed, PaymentRefunded, PaymentDisputed,
	InvoicePaid, CheckoutCompleted, FormSubmitted, FormUpdated,
	VendorConnected, VendorDisconnected, AvailabilityChanged, ReviewReceived,
	MessageSent, MessageDelivered, MessageBounced, ContactSubscribed, ContactUnsubscribed,
}

var derivedTypes = []string{EmailSend, NotificationSend, CalendarBlock, CalendarUnblock, PaymentRefund, IntegrationSync}

// SenderTypes returns, in catalog order, the types a custom or Zapier sender may post.
func SenderTypes() []string { return slices.Clone(senderTypes) }

// IsSenderType reports whether a custom or Zapier sender may post events of type t.
func IsSenderType(t string) bool { return slices.Contains(senderTypes, t) }

// AllTypes returns every type of the catalog: sender types, derived types and the
// platform's own.
func AllTypes() []string {
	all := append(slices.Clone(senderTypes), derivedTypes...)
	return append(all, SubscriptionDisabled, CommandSucceeded, CommandFailed, ProviderUnmapped)
}

// IsKnownType reports whether t is any type of the catalog, derived and platform types included.
func IsKnownType(t string) bool {
	return IsSenderType(t) || slices.Contains(derivedTypes, t) || t == SubscriptionDisabled || t == ProviderUnmapped ||
		t == CommandSucceeded || t == CommandFailed
}
