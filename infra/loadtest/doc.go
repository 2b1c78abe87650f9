// Package loadtest drives the local stack the way make load and make chaos do: signed
// events from every provider's samples at a fixed rate, loopback subscribers that verify
// Standard Webhooks signatures and log every arrival, optional AWS faults and runtime kills,
// and a report computed from the stores, the DLQs and the subscribers' logs — accepted,
// stored, delivered, duplicated (with the kill allowance), lost, latencies, and where the
// time goes.
package loadtest
