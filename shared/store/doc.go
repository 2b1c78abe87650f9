// Package store keeps connections and events in DynamoDB, one table per entity. It
// implements the ingest idempotency protocol (a conditional put that returns the old item)
// and knows nothing of providers.
package store
