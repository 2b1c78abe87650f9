package stdwebhooks_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestSignVerifiesWithTheOfficialLibrary: what we sign, any Standard Webhooks consumer accepts.
func TestSignVerifiesWithTheOfficialLibrary(t *testing.T) {
	key, err := stdwebhooks.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"payment.received"}`)
	at := time.Now()
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", stdwebhooks.Sign(key, "msg_1", at, body))
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("the official library rejects our signature: %v", err)
	}
	if _, err := stdwebhooks.Verify("msg_1", h.Get("webhook-timestamp"), h.Get("webhook-signature"), body, [][]byte{key}, at, stdwebhooks.Tolerance); err != nil {
		t.Fatalf("we reject our own signature: %v", err)
	}
}

func TestDecodeSecret(t *testing.T) {
	for _, bad := range []string{"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_***"} {
		if _, err := stdwebhooks.DecodeSecret(bad); !errors.Is(err, stdwebhooks.ErrInvalidSecret) {
			t.Errorf("DecodeSecret(%q) = %v, want ErrInvalidSecret", bad, err)
		}
	}
}

func TestVerifyChecksToleranceBeforeHMAC(t *testing.T) {
	_, err := stdwebhooks.Verify("msg_1", "1", "v1,not-even-base64", nil, nil, time.Now(), stdwebhooks.Tolerance)
	if !errors.Is(err, inbound.ErrStaleTimestamp) {
		t.Fatalf("got %v, want ErrStaleTimestamp", err)
	}
}
