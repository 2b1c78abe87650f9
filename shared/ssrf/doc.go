// Package ssrf keeps outgoing requests away from internal networks: it vets endpoint URLs
// when subscriptions are saved and, at delivery time, the addresses they resolve to.
package ssrf
