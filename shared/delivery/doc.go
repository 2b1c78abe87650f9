// Package delivery sends events to subscribers: the fan-out step of process creates one
// delivery record and message per matching subscription; Deliver makes each attempt, signed
// with Standard Webhooks through the SSRF guard, records its outcome before anything else
// and keeps retry state in the records, endpoint health and the circuit breaker on the
// subscriptions, and rate buckets and in-flight counts in the rate-limit table; the
// Scheduler enqueues what is due and sweeps events stored but never queued.
package delivery
