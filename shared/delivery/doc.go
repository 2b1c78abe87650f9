// Package delivery sends events to subscribers: the fan-out step of process creates one
// delivery record and message per matching subscription; Deliver makes each attempt, signed
// with Standard Webhooks through the SSRF guard, and keeps retry state, endpoint health and
// the circuit breaker in the records; the Scheduler enqueues what is due and sweeps events
// stored but never queued.
package delivery
