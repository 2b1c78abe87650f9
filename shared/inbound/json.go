package inbound

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// DecodeJSON unmarshals body into v. A body that is not JSON is ErrInvalidJSON; JSON of the
// wrong shape is ErrInvalidPayload. Messages name the offset or field, never the body.
func DecodeJSON(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: syntax error at offset %d", ErrInvalidJSON, syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("%w: field %q must be %s, not %s", ErrInvalidPayload, typ.Field, typ.Type, typ.Value)
	default:
		return fmt.Errorf("%w: body is not valid JSON", ErrInvalidJSON)
	}
}

// BodyKey is the dedupe key of a provider that sends no event id: the body's SHA-256.
func BodyKey(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
