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
		if _, err := secrets.ForStage(stage); !errors.Is(err, secrets.ErrKMSUnimplemented) {
			t.Errorf("ForStage(%q) = %v, want the KMS sealer's unimplemented error", stage, err)
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
