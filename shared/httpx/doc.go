// Package httpx is the one place where errors become HTTP answers: it maps sentinel errors
// to a status and an error code and renders the {"success": …} response shape for API
// Gateway.
package httpx
