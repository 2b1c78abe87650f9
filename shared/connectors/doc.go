// Package connectors is the one client stack for every provider API we call: an http.Client
// built from http.RoundTripper layers — an allow-list of the provider's API hosts, a GET
// cache with a TTL, retries with jittered backoff that honour Retry-After and keep a write's
// idempotency key, a token bucket per connection shared by every container (DynamoDB), and
// credentials from the connection (API key, bearer, basic, OAuth2 refreshed once for every
// container) — over per-attempt timeouts. Official SDKs ride on it as their HTTP client.
package connectors
