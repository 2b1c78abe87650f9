// Package delivery sends events to subscribers: the fan-out step of process queues one
// message per matching subscription, and Deliver creates each delivery's record when it
// first leases it, makes each attempt, signed with Standard Webhooks through the SSRF guard,
// records its outcome before anything else and keeps retry state in the records, endpoint
// health, the fast mark and the circuit breaker on the subscriptions, and rate buckets and
// in-flight counts in the rate-limit table; the Scheduler enqueues what is due and sweeps
// events stored but never queued.
package delivery
