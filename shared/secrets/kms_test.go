package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/testenv"
)

func envelope(t *testing.T, rec *testenv.Recorder) *secrets.Envelope {
	t.Helper()
	admin := testenv.KMS(t, testenv.Config(testenv.CallTimeout))
	key := testenv.KMSKey(t, admin)
	client := admin
	if rec != nil {
		client = testenv.KMS(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware))
	}
	return &secrets.Envelope{Client: client, KeyID: key}
}

func TestEnvelopeRoundTripAndBinding(t *testing.T) {
	e := envelope(t, nil)
	ctx := context.Background()
	a := secrets.Scope{TenantID: "tenant-a", ResourceID: "conn-1"}
	sealed, err := e.Seal(ctx, a, "whsec_very_secret_value")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "very_secret") {
		t.Fatalf("sealed value shows the secret: %s", sealed)
	}
	got, err := e.Open(ctx, a, sealed)
	if err != nil || got != "whsec_very_secret_value" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := e.Seal(ctx, a, "whsec_very_secret_value")
	if again == sealed {
		t.Fatal("two seals of one secret are identical: the data key or nonce is reused")
	}
	for _, other := range []secrets.Scope{{TenantID: "tenant-b", ResourceID: "conn-1"}, {TenantID: "tenant-a", ResourceID: "conn-2"}} {
		if _, err := e.Open(ctx, other, sealed); err == nil {
			t.Errorf("opened tenant-a/conn-1's secret as %s/%s", other.TenantID, other.ResourceID)
		}
	}
	tampered := sealed[:len(sealed)-3] + "AAA"
	if _, err := e.Open(ctx, a, tampered); !errors.Is(err, secrets.ErrOpen) && !errors.Is(err, secrets.ErrUnsealable) {
		t.Fatalf("tampered value: %v", err)
	}
	if _, err := e.Open(ctx, a, "plain:whsec_x"); !errors.Is(err, secrets.ErrUnsealable) {
		t.Fatalf("a plaintext value: %v", err)
	}
}

func TestEnvelopeFaults(t *testing.T) {
	for _, op := range []string{"GenerateDataKey", "Decrypt"} {
		t.Run(op, func(t *testing.T) {
			rec := testenv.NewRecorder()
			e := envelope(t, rec)
			ctx := context.Background()
			scope := secrets.Scope{TenantID: "t", ResourceID: "r"}
			sealed, err := e.Seal(ctx, scope, "s")
			if err != nil {
				t.Fatal(err)
			}
			rec.Inject(op, testenv.Fails)
			if op == "GenerateDataKey" {
				_, err = e.Seal(ctx, scope, "s")
			} else {
				_, err = e.Open(ctx, scope, sealed)
			}
			if !errors.Is(err, testenv.ErrInjected) {
				t.Fatalf("%s failing: got %v", op, err)
			}
		})
	}
}

func TestSetRotation(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	set := secrets.Set{{Secret: "one"}}.Rotate("two", now)
	if got := set.Secrets(now); len(got) != 2 || got[0] != "two" || got[1] != "one" {
		t.Fatalf("after a rotation: %v", got)
	}
	if got := set.Secrets(now.Add(secrets.Overlap)); len(got) != 1 || got[0] != "two" {
		t.Fatalf("after the overlap: %v", got)
	}
	set = set.Rotate("three", now.Add(time.Hour))
	if got := set.Secrets(now.Add(23 * time.Hour)); len(got) != 3 {
		t.Fatalf("a second rotation must not extend the first one's overlap: %v", got)
	}
	if got := set.Secrets(now.Add(24 * time.Hour)); len(got) != 2 || got[1] != "two" {
		t.Fatalf("the first secret should expire on its own schedule: %v", got)
	}
	e := secrets.Plaintext{}
	sealed, err := secrets.SealSet(context.Background(), e, secrets.Scope{}, set)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := secrets.OpenSet(context.Background(), e, secrets.Scope{}, sealed)
	if err != nil || len(opened) != 3 || !opened[2].Until.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("OpenSet = %+v, %v", opened, err)
	}
}
