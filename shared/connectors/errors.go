package connectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sentinel errors of the client stack.
var (
	// ErrHostNotAllowed: the request named a host that is not one of the provider's.
	ErrHostNotAllowed = errors.New("host is not one of the provider's API hosts")
	// ErrOutcomeUnknown: a write without an idempotency key failed in a way that leaves open
	// whether the provider acted on it, so it is not retried (at most once).
	ErrOutcomeUnknown = errors.New("outcome unknown: the provider may or may not have acted")
	// ErrRateLimited: no slot of the shared rate limit within the longest wait.
	ErrRateLimited = errors.New("rate limited: no slot within the longest wait")
	// ErrBaseURL: a configured base URL is not one the stage may call.
	ErrBaseURL = errors.New("base URL not allowed")
)

// MaxMessage bounds a provider's message carried in an error.
const MaxMessage = 300

// ProviderError is a provider's answer that is not a success, after any retries.
type ProviderError struct {
	Provider string
	Status   int
	// Code is the provider's own error code or name, when it gives one.
	Code    string
	Message string
}

// Error says who answered what.
func (e *ProviderError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s answered %d: %s", e.Provider, e.Status, msg)
}

// Temporary reports whether the provider was overloaded or failing rather than refusing.
func (e *ProviderError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// NewProviderError reads the provider's message and code from an error body of any of the
// usual shapes (Stripe's and OAuth2's "error", Calendly's "title"/"message", Mandrill's
// "name"/"message"), else its first characters.
func NewProviderError(provider string, status int, body []byte) *ProviderError {
	e := &ProviderError{Provider: provider, Status: status}
	var shape struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Message          string          `json:"message"`
		Title            string          `json:"title"`
		Name             string          `json:"name"`
		Code             json.RawMessage `json:"code"`
	}
	if json.Unmarshal(body, &shape) != nil {
		e.Message = clip(strings.TrimSpace(string(body)))
		return e
	}
	var nested struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		Type    string `json:"type"`
	}
	var flat string
	switch {
	case json.Unmarshal(shape.Error, &nested) == nil && nested.Message != "":
		e.Message, e.Code = nested.Message, firstNonEmpty(nested.Code, nested.Type)
	case json.Unmarshal(shape.Error, &flat) == nil && flat != "":
		e.Message, e.Code = firstNonEmpty(shape.ErrorDescription, flat), flat
	default:
		e.Message = firstNonEmpty(shape.Message, shape.Title)
		if shape.Title != "" && shape.Message != "" {
			e.Message = shape.Title + ": " + shape.Message
		}
		e.Code = shape.Name
	}
	e.Message = clip(e.Message)
	return e
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) <= MaxMessage {
		return s
	}
	s = s[:MaxMessage]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
