package custom_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers/custom"
)

func FuzzVerify(f *testing.F) {
	body := fixture(f, "booking.created")
	h := headers(f, secret, "msg_1", now, body)
	f.Add(h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body)
	f.Add("msg", "17", "v1, v1,=== v1,AAAA", []byte("{}"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		req := &inbound.Request{Header: map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig}, Body: body}
		_, err := custom.Provider{}.Verify(context.Background(), req, inbound.Credentials{Secrets: []string{secret}}, now)
		if err != nil && !errors.Is(err, inbound.ErrMissingSignature) && !errors.Is(err, inbound.ErrInvalidSignature) && !errors.Is(err, inbound.ErrStaleTimestamp) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add(fixture(f, "booking.created"))
	f.Add(fixture(f, "form.submitted"))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &inbound.Request{Header: map[string]string{"webhook-id": "msg_1"}, Body: body}
		got, err := custom.Provider{}.Normalize(req, inbound.Verified{})
		if err != nil {
			if !errors.Is(err, inbound.ErrInvalidJSON) && !errors.Is(err, inbound.ErrInvalidPayload) && !errors.Is(err, inbound.ErrUnknownEventType) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if len(got) != 1 || got[0].DedupeKey != "msg_1" || len(got[0].Data) == 0 || got[0].Data[0] != '{' {
			t.Fatalf("accepted %+v", got)
		}
	})
}
