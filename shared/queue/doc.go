// Package queue puts work on SQS by key only: the events queue carries
// {"event_id":"evt_…"}, never a payload. It knows nothing of providers.
package queue
