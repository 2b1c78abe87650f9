package secrets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wedsync/webhooks/shared/secrets"
)

func TestPlaintextOnlyLocally(t *testing.T) {
	for _, stage := range []string{"", "prod", "staging", "LOCAL"} {
		if _, err := secrets.NewPlaintext(stage); !errors.Is(err, secrets.ErrPlaintextRefused) {
			t.Errorf("NewPlaintext(%q) = %v, want a refusal", stage, err)
		}
		if _, err := secrets.ForStage(stage, "", nil); !errors.Is(err, secrets.ErrNoKMSKey) {
			t.Errorf("ForStage(%q) without a key = %v, want ErrNoKMSKey", stage, err)
		}
		if s, err := secrets.ForStage(stage, "alias/wedsync", nil); err != nil {
			t.Errorf("ForStage(%q) with a key = %v", stage, err)
		} else if _, ok := s.(*secrets.Envelope); !ok {
			t.Errorf("ForStage(%q) with a key = %T, want the KMS envelope sealer", stage, s)
		}
	}
	for _, stage := range []string{"local", "test"} {
		if _, err := secrets.NewPlaintext(stage); err != nil {
			t.Errorf("NewPlaintext(%q) = %v", stage, err)
		}
	}
}

func TestPlaintextRoundTrip(t *testing.T) {
	ctx := context.Background()
	scope := secrets.Scope{TenantID: "t", ResourceID: "conn-1"}
	sealed, err := secrets.Plaintext{}.Seal(ctx, scope, "whsec_abc")
	if err != nil {
		t.Fatal(err)
	}
	got, err := secrets.Plaintext{}.Open(ctx, scope, sealed)
	if err != nil || got != "whsec_abc" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := (secrets.Plaintext{}).Open(ctx, scope, "kms:AQID"); !errors.Is(err, secrets.ErrUnsealable) {
		t.Fatalf("opening a foreign value: %v", err)
	}
}
