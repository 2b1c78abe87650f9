package httpx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/wedsync/webhooks/shared/httpx"
	"github.com/wedsync/webhooks/shared/inbound"
)

func TestProblemFor(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{inbound.ErrMethodNotAllowed, 405, "METHOD_NOT_ALLOWED"},
		{inbound.ErrConnectionNotFound, 404, "CONNECTION_NOT_FOUND"},
		{inbound.ErrPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"},
		{inbound.ErrUnsupportedMediaType, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{inbound.ErrMissingSignature, 401, "MISSING_SIGNATURE"},
		{inbound.ErrInvalidSignature, 401, "INVALID_SIGNATURE"},
		{inbound.ErrStaleTimestamp, 401, "STALE_TIMESTAMP"},
		{inbound.ErrVerificationUnavailable, 503, "VERIFICATION_UNAVAILABLE"},
		{inbound.ErrInvalidJSON, 400, "INVALID_JSON"},
		{inbound.ErrInvalidPayload, 400, "INVALID_PAYLOAD"},
		{inbound.ErrUnknownEventType, 400, "UNKNOWN_EVENT_TYPE"},
		{inbound.ErrEnqueueFailed, 503, "ENQUEUE_FAILED"},
		{errors.New("dynamodb: connection reset"), 500, "INTERNAL_ERROR"},
	}
	for _, tt := range tests {
		p := httpx.ProblemFor(fmt.Errorf("context: %w", tt.err))
		if p.Status != tt.status || p.Code != tt.code {
			t.Errorf("%v → %d %s, want %d %s", tt.err, p.Status, p.Code, tt.status, tt.code)
		}
	}
}

func TestServerErrorsHideDetails(t *testing.T) {
	err := fmt.Errorf("%w: sqs https://sqs.internal/123/events: token expired", inbound.ErrEnqueueFailed)
	resp := httpx.Error(err, "req-1")
	var body struct {
		Success bool
		Error   httpx.Problem
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || body.Success || body.Error.Message != inbound.ErrEnqueueFailed.Error() || body.Error.RequestID != "req-1" {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	if resp.Headers["content-type"] != "application/json" {
		t.Fatalf("content type %q", resp.Headers["content-type"])
	}
}

// TestUnavailableVerificationHidesDetails: a certificate fetch that failed is a 503 whose
// message is the sentinel's alone, never the URL or the fetch error.
func TestUnavailableVerificationHidesDetails(t *testing.T) {
	err := fmt.Errorf("%w: fetch https://api.paypal.com/v1/notifications/certs/CERT-1: dial tcp 10.0.0.7:443: i/o timeout", inbound.ErrVerificationUnavailable)
	resp := httpx.Error(err, "req-2")
	var body struct{ Error httpx.Problem }
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || body.Error.Code != "VERIFICATION_UNAVAILABLE" || body.Error.Message != inbound.ErrVerificationUnavailable.Error() {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
}
