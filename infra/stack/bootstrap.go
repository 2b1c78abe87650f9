package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// ErrBootstrap means a function's bootstrap cannot be packaged: it is missing, unreadable, or
// not alone in its directory.
var ErrBootstrap = errors.New("cannot package bootstrap")

// BootstrapHash is the asset hash a function's code gets: the hex SHA-256 of its bootstrap, so
// equal binaries give equal hashes on any machine.
func BootstrapHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// bootstrapCode packages dir/<name>, which must hold the function's bootstrap and nothing else
// (a file beside it would ship without changing the hash).
func bootstrapCode(dir, name string) (awslambda.Code, error) {
	fnDir := filepath.Join(dir, name)
	path := filepath.Join(fnDir, "bootstrap")
	entries, err := os.ReadDir(fnDir)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBootstrap, path, err)
	}
	for _, e := range entries {
		if e.Name() != "bootstrap" {
			return nil, fmt.Errorf("%w %s: %s lies beside it and would ship with it", ErrBootstrap, path, e.Name())
		}
	}
	hash, err := BootstrapHash(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBootstrap, path, err)
	}
	return awslambda.Code_FromAsset(jsii.String(fnDir), &awss3assets.AssetOptions{
		AssetHash: jsii.String(hash), AssetHashType: awscdk.AssetHashType_CUSTOM,
	}), nil
}
