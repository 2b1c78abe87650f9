// Package envelope defines the normalized event every provider's webhook becomes: a
// CloudEvents 1.0 JSON envelope, the catalog of canonical event types, and the
// deterministic event ids that make ingest idempotent.
package envelope
