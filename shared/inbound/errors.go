package inbound

import "errors"

// Sentinel errors of the ingest contract, in the order ingest checks them. httpx maps each
// to its status and error code; wrap them with context, never with secrets or bodies.
var (
	ErrMethodNotAllowed     = errors.New("method not allowed")
	ErrConnectionNotFound   = errors.New("connection not found")
	ErrPayloadTooLarge      = errors.New("payload too large")
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	ErrMissingSignature     = errors.New("missing signature")
	ErrInvalidSignature     = errors.New("invalid signature")
	ErrStaleTimestamp       = errors.New("timestamp outside the tolerance")
	// ErrVerificationUnavailable means the request could not be verified for now (PayPal's
	// certificate could not be fetched); the provider should retry.
	ErrVerificationUnavailable = errors.New("signature verification temporarily unavailable")
	ErrInvalidJSON             = errors.New("invalid JSON")
	ErrInvalidPayload          = errors.New("invalid payload")
	ErrUnknownEventType        = errors.New("unknown event type")
	ErrEnqueueFailed           = errors.New("event could not be queued")
)
