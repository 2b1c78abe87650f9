// Package providertest helps tests sign requests the way each provider's own library does
// and read fixtures. Only tests import it.
package providertest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85/webhook"
)

// Fixture reads testdata/<name>.json from dir.
func Fixture(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// StripeSignature is the Stripe-Signature header stripe-go makes for body at at.
func StripeSignature(body []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

// StandardHeaders are the webhook-id, webhook-timestamp and webhook-signature headers the
// official Standard Webhooks library makes for body.
func StandardHeaders(t testing.TB, secret, msgID string, at time.Time, body []byte) map[string]string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(msgID, at, body)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"webhook-id": msgID, "webhook-timestamp": strconv.FormatInt(at.Unix(), 10), "webhook-signature": sig}
}

// Now is the clock provider tests verify at.
var Now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// File reads testdata/<name> from dir.
func File(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
