// Package envelope defines the normalized event every provider's webhook becomes: a
// CloudEvents 1.0 JSON envelope, the catalog of canonical event types with their data
// fields and JSON Schemas, the deterministic event ids that make ingest idempotent, and
// the chain of dated event versions events are stored at (the latest) and rendered at
// (each subscription's own).
package envelope
