package ingest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/stripe"
	"github.com/wedsync/webhooks/shared/store"
)

// BenchmarkHotPath compares our ingest hot path (verify + normalize + envelope marshal) on
// a 3 KB Stripe payment_intent.succeeded with stripe-go's ConstructEventWithOptions on the
// same payload. Compare with: benchstat -col /impl.
func BenchmarkHotPath(b *testing.B) {
	body := stripeFixture(b)
	header := stripeHeaders(body, stripeSecret, time.Now())["Stripe-Signature"]
	conn := store.Connection{ID: "conn-stripe", TenantID: tenant, Kind: "stripe"}
	creds := inbound.Credentials{Secrets: []string{stripeSecret}}
	b.Run("impl=wedsync", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		var p stripe.Provider
		for b.Loop() {
			req := &inbound.Request{Header: map[string]string{"stripe-signature": header}, Body: body}
			at := time.Now()
			v, err := p.Verify(context.Background(), req, creds, at)
			if err != nil {
				b.Fatal(err)
			}
			parsed, err := p.Normalize(req, v)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(ingest.Envelope(conn, parsed[0], at)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=stripe-go", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		opts := webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}
		for b.Loop() {
			if _, err := webhook.ConstructEventWithOptions(body, header, stripeSecret, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
