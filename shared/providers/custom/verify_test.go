package custom_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/custom"
	"github.com/wedsync/webhooks/shared/providers/providertest"
)

const (
	secret      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	otherSecret = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk="
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func fixture(t testing.TB, name string) []byte { return providertest.Fixture(t, ".", name) }

// headers signs body with the official Standard Webhooks library.
var headers = providertest.StandardHeaders

func TestVerify(t *testing.T) {
	body := fixture(t, "booking.created")
	tampered := append([]byte(nil), body...)
	tampered[10] ^= 0x01
	valid := headers(t, secret, "msg_1", now, body)
	with := func(key, value string) map[string]string {
		h := map[string]string{}
		for k, v := range valid {
			h[k] = v
		}
		if value == "" {
			delete(h, key)
		} else {
			h[key] = value
		}
		return h
	}
	tests := []struct {
		name    string
		header  map[string]string
		body    []byte
		secrets []string
		want    error
	}{
		{"valid", valid, body, []string{secret}, nil},
		{"rotation: second secret", valid, body, []string{otherSecret, secret}, nil},
		{"several signatures", with("webhook-signature", "v1,AAAA v2,xyz "+valid["webhook-signature"]), body, []string{secret}, nil},
		{"one body byte changed", valid, tampered, []string{secret}, inbound.ErrInvalidSignature},
		{"another secret", headers(t, otherSecret, "msg_1", now, body), body, []string{secret}, inbound.ErrInvalidSignature},
		{"another message id", with("webhook-id", "msg_2"), body, []string{secret}, inbound.ErrInvalidSignature},
		{"past the tolerance", headers(t, secret, "msg_1", now.Add(-301*time.Second), body), body, []string{secret}, inbound.ErrStaleTimestamp},
		{"ahead of the tolerance", headers(t, secret, "msg_1", now.Add(301*time.Second), body), body, []string{secret}, inbound.ErrStaleTimestamp},
		{"no signature header", with("webhook-signature", ""), body, []string{secret}, inbound.ErrMissingSignature},
		{"no id header", with("webhook-id", ""), body, []string{secret}, inbound.ErrMissingSignature},
		{"no timestamp header", with("webhook-timestamp", ""), body, []string{secret}, inbound.ErrMissingSignature},
		{"only other versions", with("webhook-signature", "v2,abc"), body, []string{secret}, inbound.ErrMissingSignature},
		{"timestamp not a number", with("webhook-timestamp", "yesterday"), body, []string{secret}, inbound.ErrInvalidSignature},
		{"signature not base64", with("webhook-signature", "v1,!!!"), body, []string{secret}, inbound.ErrInvalidSignature},
		{"unpadded 44 characters", with("webhook-signature", "v1,"+strings.Repeat("A", 44)), body, []string{secret}, inbound.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := custom.Provider{}.Verify(context.Background(), &inbound.Request{Header: tt.header, Body: tt.body}, inbound.Credentials{Secrets: tt.secrets}, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestOracleAgrees: what the official library accepts, we accept, and the reverse.
func TestOracleAgrees(t *testing.T) {
	body := fixture(t, "booking.created")
	at := time.Now()
	h := headers(t, secret, "msg_oracle", at, body)
	wh, _ := standardwebhooks.NewWebhook(secret)
	hh := http.Header{}
	for k, v := range h {
		hh.Set(k, v)
	}
	if err := wh.Verify(body, hh); err != nil {
		t.Fatalf("the library rejects its own signature: %v", err)
	}
	if _, err := (custom.Provider{}).Verify(context.Background(), &inbound.Request{Header: h, Body: body}, inbound.Credentials{Secrets: []string{secret}}, at); err != nil {
		t.Fatalf("we reject what the library accepts: %v", err)
	}
}
