// Package api is the tenants' management API under /v1: API keys, connections,
// subscriptions, event types and events. Operations are declared with huma, which also
// produces the OpenAPI 3.1 document; an outer layer answers unknown routes, authenticates
// the bearer key, and replays writes that repeat an Idempotency-Key. Every read and write
// is scoped to the key's tenant.
package api
