package api

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// MACGenerator is the part of the KMS client that derives the cursor key.
type MACGenerator interface {
	GenerateMac(ctx context.Context, in *kms.GenerateMacInput, opts ...func(*kms.Options)) (*kms.GenerateMacOutput, error)
}

// cursorKeyLabel is the message whose MAC under the cursor KMS key is the cursor key.
const cursorKeyLabel = "wedsync/api/list-cursors/v1"

// CursorKeyFromKMS derives the key that signs list cursors from an HMAC_256 KMS key: the
// key's HMAC-SHA-256 of a fixed label. Every container derives the same key with one call
// when it starts; the key material never leaves KMS and no secret travels in the
// function's environment. Rotating means pointing the function at a new KMS key, which
// invalidates the cursors handed out before.
func CursorKeyFromKMS(ctx context.Context, client MACGenerator, keyID string) ([]byte, error) {
	out, err := client.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId: aws.String(keyID), MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: []byte(cursorKeyLabel),
	})
	if err != nil {
		return nil, fmt.Errorf("derive the cursor key from KMS key %s: %w", keyID, err)
	}
	if len(out.Mac) < 32 {
		return nil, fmt.Errorf("derive the cursor key from KMS key %s: a %d-byte MAC", keyID, len(out.Mac))
	}
	return out.Mac, nil
}
