// Package mandrill verifies Mandrill (Mailchimp Transactional) webhooks —
// X-Mandrill-Signature, base64 HMAC-SHA1 over the registered URL and the sorted POST
// fields — and splits a mandrill_events batch into one event per element. HEAD is
// Mandrill's URL check.
package mandrill
