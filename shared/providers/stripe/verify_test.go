package stripe_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/providertest"
	"github.com/wedsync/webhooks/shared/providers/stripe"
)

const secret = "whsec_test_0123456789abcdef"

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func fixture(t testing.TB, name string) []byte { return providertest.Fixture(t, ".", name) }

// signed returns the Stripe-Signature stripe-go itself makes for body.
var signed = providertest.StripeSignature

func TestVerify(t *testing.T) {
	body := fixture(t, "payment_intent.succeeded")
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)/2] ^= 0x01
	valid := signed(body, secret, now)
	v1 := valid[strings.Index(valid, "v1="):]
	ts := "t=" + strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name    string
		header  string
		body    []byte
		secrets []string
		want    error
	}{
		{"valid", valid, body, []string{secret}, nil},
		{"second of two secrets (rotation)", valid, body, []string{"whsec_old", secret}, nil},
		{"one of several v1 signatures", ts + ",v1=" + strings.Repeat("ab", 32) + "," + v1 + ",v0=00", body, []string{secret}, nil},
		{"within tolerance, in the past", signed(body, secret, now.Add(-299*time.Second)), body, []string{secret}, nil},
		{"within tolerance, in the future", signed(body, secret, now.Add(299*time.Second)), body, []string{secret}, nil},
		{"one body byte changed", valid, tampered, []string{secret}, inbound.ErrInvalidSignature},
		{"another secret", signed(body, "whsec_other", now), body, []string{secret}, inbound.ErrInvalidSignature},
		{"past the tolerance", signed(body, secret, now.Add(-301*time.Second)), body, []string{secret}, inbound.ErrStaleTimestamp},
		{"ahead of the tolerance", signed(body, secret, now.Add(301*time.Second)), body, []string{secret}, inbound.ErrStaleTimestamp},
		{"stale and wrong", signed(body, "whsec_other", now.Add(-time.Hour)), body, []string{secret}, inbound.ErrStaleTimestamp},
		{"missing header", "", body, []string{secret}, inbound.ErrMissingSignature},
		{"only a timestamp", ts, body, []string{secret}, inbound.ErrMissingSignature},
		{"only v0", ts + ",v0=" + strings.Repeat("ab", 32), body, []string{secret}, inbound.ErrMissingSignature},
		{"malformed", "garbage", body, []string{secret}, inbound.ErrInvalidSignature},
		{"no timestamp", v1, body, []string{secret}, inbound.ErrInvalidSignature},
		{"timestamp not a number", "t=soon," + v1, body, []string{secret}, inbound.ErrInvalidSignature},
		{"signature not hex", ts + ",v1=zz", body, []string{secret}, inbound.ErrInvalidSignature},
		{"signature truncated", valid[:len(valid)-2], body, []string{secret}, inbound.ErrInvalidSignature},
		{"no secrets", valid, body, nil, inbound.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &inbound.Request{Header: map[string]string{stripe.SignatureHeader: tt.header}, Body: tt.body}
			_, err := stripe.Provider{}.Verify(context.Background(), req, inbound.Credentials{Secrets: tt.secrets}, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q leaks the secret", err)
			}
		})
	}
}

func TestVerifyAgreesWithStripeGo(t *testing.T) {
	body := fixture(t, "payment_intent.succeeded")
	at := time.Now()
	header := signed(body, secret, at)
	if _, err := webhook.ConstructEventWithOptions(body, header, secret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}); err != nil {
		t.Fatalf("stripe-go rejects its own signature: %v", err)
	}
	req := &inbound.Request{Header: map[string]string{stripe.SignatureHeader: header}, Body: body}
	v, err := stripe.Provider{}.Verify(context.Background(), req, inbound.Credentials{Secrets: []string{secret}}, at)
	if err != nil {
		t.Fatalf("we reject what stripe-go accepts: %v", err)
	}
	if v.Timestamp.Unix() != at.Unix() {
		t.Fatalf("timestamp = %v, want %v", v.Timestamp, at)
	}
}
