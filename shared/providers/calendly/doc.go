// Package calendly verifies Calendly webhooks (Calendly-Webhook-Signature, HMAC-SHA256 with
// a 180 s tolerance) and normalizes invitee and routing-form events into bookings and forms.
package calendly
