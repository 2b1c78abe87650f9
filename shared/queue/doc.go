// Package queue puts work on SQS by key, never a payload: the events queue carries
// {"event_id":"evt_…"}; the deliveries queue {"delivery_id":"dlv_…"}, or, for a delivery
// fan-out has not stored, its key and the few ids creating its record needs. It knows
// nothing of providers.
package queue
