package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Stages in which the plaintext sealer may run.
const (
	StageLocal = "local"
	StageTest  = "test"
)

// ErrPlaintextRefused means the plaintext sealer was asked for outside the local stack and tests.
var ErrPlaintextRefused = errors.New("plaintext secrets are allowed only when WEDSYNC_STAGE is local or test")

// ErrUnsealable means a sealed value was not made by this sealer.
var ErrUnsealable = errors.New("sealed secret has an unknown format")

// Scope binds a sealed secret to its owner: the tenant and the resource id.
type Scope struct {
	TenantID   string
	ResourceID string
}

// IdempotencyScope is the scope a remembered /v1 answer is sealed in: its tenant and a
// hash of its Idempotency-Key record's key, so it opens for no other record.
func IdempotencyScope(tenant, record string) Scope {
	sum := sha256.Sum256([]byte(record))
	return Scope{TenantID: tenant, ResourceID: "idem_" + hex.EncodeToString(sum[:16])}
}

// Sealer seals secrets for storage and opens them for use.
type Sealer interface {
	Seal(ctx context.Context, scope Scope, plaintext string) (string, error)
	Open(ctx context.Context, scope Scope, sealed string) (string, error)
}

const plainPrefix = "plain:"

// Plaintext stores secrets as they are, marked as such. Only for the local stack and tests.
type Plaintext struct{}

var _ Sealer = Plaintext{}

// NewPlaintext returns the plaintext sealer when stage is local or test.
func NewPlaintext(stage string) (Plaintext, error) {
	if stage != StageLocal && stage != StageTest {
		return Plaintext{}, ErrPlaintextRefused
	}
	return Plaintext{}, nil
}

// Seal marks plaintext as stored in the clear.
func (Plaintext) Seal(_ context.Context, _ Scope, plaintext string) (string, error) {
	return plainPrefix + plaintext, nil
}

// Open returns the secret of a value Seal made.
func (Plaintext) Open(_ context.Context, scope Scope, sealed string) (string, error) {
	v, ok := strings.CutPrefix(sealed, plainPrefix)
	if !ok {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, ErrUnsealable)
	}
	return v, nil
}

// ErrNoKMSKey means a deployed stage has no KMS key to seal secrets with.
var ErrNoKMSKey = errors.New("WEDSYNC_KMS_KEY_ID is required outside the local and test stages")

// ForStage returns the sealer a function uses: the KMS envelope sealer when keyID is set,
// else the plaintext sealer, which only the local and test stages may use.
func ForStage(stage, keyID string, client KMS) (Sealer, error) {
	if keyID != "" {
		return &Envelope{Client: client, KeyID: keyID}, nil
	}
	if stage == StageLocal || stage == StageTest {
		return Plaintext{}, nil
	}
	return nil, ErrNoKMSKey
}
