package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/httpx"
)

// Error is a failure in the documented response shape.
type Error struct {
	status  int
	Success bool          `json:"success"`
	Problem httpx.Problem `json:"error"`
}

// Error is the message.
func (e *Error) Error() string { return e.Problem.Message }

// GetStatus is the HTTP status huma answers with.
func (e *Error) GetStatus() int { return e.status }

var codes = map[int]string{
	http.StatusBadRequest:            "INVALID_JSON",
	http.StatusUnauthorized:          "UNAUTHORIZED",
	http.StatusNotFound:              "NOT_FOUND",
	http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
	http.StatusConflict:              "CONFLICT",
	http.StatusRequestEntityTooLarge: "PAYLOAD_TOO_LARGE",
	http.StatusUnsupportedMediaType:  "UNSUPPORTED_MEDIA_TYPE",
	http.StatusUnprocessableEntity:   "VALIDATION_FAILED",
	http.StatusTooManyRequests:       "RATE_LIMITED",
}

// requiredProperty is how huma says a required field is missing.
var requiredProperty = regexp.MustCompile(`^expected required property (\S+) to be present$`)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	tenantKey
	baseURLKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// newError builds an Error; huma's validation details become a field → reason map, and
// their values (which may hold secrets) are dropped.
func newError(ctx context.Context, status int, msg string, errs ...error) *Error {
	code, ok := codes[status]
	if !ok || status >= 500 {
		status, code, msg = http.StatusInternalServerError, "INTERNAL_ERROR", "internal error"
	}
	e := &Error{status: status, Problem: httpx.Problem{Code: code, Message: msg}}
	if ctx != nil {
		e.Problem.RequestID = requestID(ctx)
	}
	for _, err := range errs {
		var d huma.ErrorDetailer
		if err == nil || !errors.As(err, &d) {
			continue
		}
		detail := d.ErrorDetail()
		field := detail.Location
		if m := requiredProperty.FindStringSubmatch(detail.Message); m != nil {
			field += "." + m[1]
			detail = &huma.ErrorDetail{Message: "required", Location: field}
		}
		for _, prefix := range []string{"body.", "query.", "path.", "header."} {
			field = strings.TrimPrefix(field, prefix)
		}
		if e.Problem.Details == nil {
			e.Problem.Details = map[string]any{}
		}
		if status == http.StatusBadRequest {
			e.Problem.Message = "the body is not valid JSON"
			continue
		}
		e.Problem.Details[field] = detail.Message
	}
	if status == http.StatusBadRequest {
		e.Problem.Details = nil
	}
	return e
}

// installErrors makes huma render every error in the documented shape.
func installErrors() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return newError(context.Background(), status, msg, errs...)
	}
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		return newError(ctx.Context(), status, msg, errs...)
	}
}

// invalid is a 422 naming each bad field.
func invalid(ctx context.Context, fields map[string]string) *Error {
	e := newError(ctx, http.StatusUnprocessableEntity, "validation failed")
	e.Problem.Details = map[string]any{}
	for k, v := range fields {
		e.Problem.Details[k] = v
	}
	return e
}

func notFound(ctx context.Context, what string) *Error {
	return newError(ctx, http.StatusNotFound, what+" not found")
}

func internal(ctx context.Context) *Error { return newError(ctx, http.StatusInternalServerError, "") }

func writeError(w http.ResponseWriter, e *Error) {
	b, _ := json.Marshal(e)
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}
