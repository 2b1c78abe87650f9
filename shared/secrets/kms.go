package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMS is the part of the KMS client the envelope sealer uses.
type KMS interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, opts ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

var _ KMS = (*kms.Client)(nil)

const kmsPrefix = "kms1."

// ErrOpen means a sealed secret could not be opened: wrong tenant or resource, or tampering.
var ErrOpen = errors.New("sealed secret cannot be opened")

// Envelope seals each secret with its own KMS data key (AES-256-GCM). The tenant and the
// resource id are the KMS encryption context and the GCM associated data, so a sealed value
// copied to another tenant or resource does not open.
type Envelope struct {
	Client KMS
	KeyID  string
}

var _ Sealer = (*Envelope)(nil)

func encryptionContext(scope Scope) map[string]string {
	return map[string]string{"tenant": scope.TenantID, "resource": scope.ResourceID}
}

func associatedData(scope Scope) []byte {
	return []byte("wedsync-secret\x00" + scope.TenantID + "\x00" + scope.ResourceID)
}

// Seal encrypts plaintext under a fresh data key and returns the wrapped key and the
// ciphertext, as text.
func (e *Envelope) Seal(ctx context.Context, scope Scope, plaintext string) (string, error) {
	out, err := e.Client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             aws.String(e.KeyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: encryptionContext(scope),
	})
	if err != nil {
		return "", fmt.Errorf("seal secret of %s: %w", scope.ResourceID, err)
	}
	defer clear(out.Plaintext)
	gcm, err := newGCM(out.Plaintext)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := gcm.Seal(nonce, nonce, []byte(plaintext), associatedData(scope))
	return kmsPrefix + base64.RawStdEncoding.EncodeToString(out.CiphertextBlob) + "." + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Open unwraps the data key with KMS under the same encryption context and decrypts.
func (e *Envelope) Open(ctx context.Context, scope Scope, sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, kmsPrefix)
	if !ok {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, ErrUnsealable)
	}
	wrappedText, boxText, ok := strings.Cut(rest, ".")
	wrapped, err1 := base64.RawStdEncoding.DecodeString(wrappedText)
	box, err2 := base64.RawStdEncoding.DecodeString(boxText)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, ErrUnsealable)
	}
	out, err := e.Client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    wrapped,
		KeyId:             aws.String(e.KeyID),
		EncryptionContext: encryptionContext(scope),
	})
	var invalid *types.InvalidCiphertextException
	if errors.As(err, &invalid) {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, ErrOpen)
	}
	if err != nil {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, err)
	}
	defer clear(out.Plaintext)
	gcm, err := newGCM(out.Plaintext)
	if err != nil {
		return "", err
	}
	if len(box) < gcm.NonceSize() {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, ErrUnsealable)
	}
	plain, err := gcm.Open(nil, box[:gcm.NonceSize()], box[gcm.NonceSize():], associatedData(scope))
	if err != nil {
		return "", fmt.Errorf("open secret of %s: %w", scope.ResourceID, ErrOpen)
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return cipher.NewGCM(block)
}
