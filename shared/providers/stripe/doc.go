// Package stripe verifies Stripe webhooks (Stripe-Signature, HMAC-SHA256 with a 300 s
// tolerance) and normalizes Stripe events into the canonical catalog.
package stripe
