// Package commands says which derived events are commands that act runs through a
// provider's API (payment.refund through Stripe, email.send through Mandrill,
// integration.sync from Calendly, notification.send to Zapier), and holds the process step
// that routes each of them to act when its tenant has credentials for that provider. It
// imports no provider SDK, so process stays small.
package commands
