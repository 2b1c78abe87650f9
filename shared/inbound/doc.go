// Package inbound is the contract between the ingest handler and every provider: the
// request a provider verifies, the events it normalizes it into, the sentinel errors that
// decide the HTTP answer, and the one HMAC helper the timestamped schemes share.
// Nothing here talks to AWS.
package inbound
