package stripe_test

import (
	"errors"

	"github.com/wedsync/webhooks/shared/inbound"
)

func isSignatureError(err error) bool {
	return errors.Is(err, inbound.ErrMissingSignature) || errors.Is(err, inbound.ErrInvalidSignature) || errors.Is(err, inbound.ErrStaleTimestamp)
}

func isBodyError(err error) bool {
	return errors.Is(err, inbound.ErrInvalidJSON) || errors.Is(err, inbound.ErrInvalidPayload) || errors.Is(err, inbound.ErrUnknownEventType)
}
