// Package stdwebhooks implements the Standard Webhooks signature scheme
// (webhook-id, webhook-timestamp, webhook-signature: "v1,<base64>"), used to verify custom
// senders and to sign every delivery we make.
package stdwebhooks
