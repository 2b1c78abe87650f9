package testenv

import (
	"context"
	"io"
	"testing"

	"github.com/wedsync/webhooks/shared/emulator"
)

var stripeMock lazy

// StripeMockEndpoint returns the base URL of stripe-mock on loopback, starting it if
// needed (WEDSYNC_TEST_STRIPE_MOCK_ENDPOINT names one already running).
func StripeMockEndpoint(t testing.TB) string {
	t.Helper()
	SkipShort(t, "stripe-mock")
	ep, err := stripeMock.get("WEDSYNC_TEST_STRIPE_MOCK_ENDPOINT", func(ctx context.Context, root string) (*emulator.Process, error) {
		return emulator.StartStripeMock(ctx, root, 0, io.Discard)
	})
	if err != nil {
		t.Fatalf("stripe-mock: %v", err)
	}
	return ep
}
