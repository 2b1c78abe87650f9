package httpx

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Problem is an error as the client sees it.
type Problem struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
	// RequestID lets an operator find the request in the logs.
	RequestID string `json:"request_id,omitempty"`
}

type mapping struct {
	err    error
	status int
	code   string
}

// mappings are checked in order; the first sentinel err wraps decides the answer.
var mappings = []mapping{
	{inbound.ErrMethodNotAllowed, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	{inbound.ErrConnectionNotFound, http.StatusNotFound, "CONNECTION_NOT_FOUND"},
	{inbound.ErrPayloadTooLarge, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	{inbound.ErrUnsupportedMediaType, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
	{inbound.ErrMissingSignature, http.StatusUnauthorized, "MISSING_SIGNATURE"},
	{inbound.ErrStaleTimestamp, http.StatusUnauthorized, "STALE_TIMESTAMP"},
	{inbound.ErrInvalidSignature, http.StatusUnauthorized, "INVALID_SIGNATURE"},
	{inbound.ErrVerificationUnavailable, http.StatusServiceUnavailable, "VERIFICATION_UNAVAILABLE"},
	{inbound.ErrInvalidJSON, http.StatusBadRequest, "INVALID_JSON"},
	{inbound.ErrInvalidPayload, http.StatusBadRequest, "INVALID_PAYLOAD"},
	{inbound.ErrUnknownEventType, http.StatusBadRequest, "UNKNOWN_EVENT_TYPE"},
	{inbound.ErrEnqueueFailed, http.StatusServiceUnavailable, "ENQUEUE_FAILED"},
}

// ProblemFor maps err to its answer. Client errors carry err's message, which callers
// build without secrets or bodies; anything unmapped is a 500 with a fixed message.
func ProblemFor(err error) Problem {
	for _, m := range mappings {
		if errors.Is(err, m.err) {
			msg := err.Error()
			if m.status >= 500 {
				msg = m.err.Error()
			}
			return Problem{Status: m.status, Code: m.code, Message: msg}
		}
	}
	return Problem{Status: http.StatusInternalServerError, Code: "INTERNAL_ERROR", Message: "internal error"}
}

// Error renders err as a failure response.
func Error(err error, requestID string) events.APIGatewayV2HTTPResponse {
	p := ProblemFor(err)
	p.RequestID = requestID
	return render(p.Status, struct {
		Success bool    `json:"success"`
		Error   Problem `json:"error"`
	}{false, p})
}

// OK renders data as a 200 success response.
func OK(data any) events.APIGatewayV2HTTPResponse {
	return render(http.StatusOK, struct {
		Success bool `json:"success"`
		Data    any  `json:"data"`
	}{true, data})
}

func render(status int, body any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"success":false,"error":{"code":"INTERNAL_ERROR","message":"internal error"}}`)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"content-type": "application/json"}, Body: string(b)}
}
