package store

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// KeyPrefix starts every API key; KeyShownPrefix characters of a key are kept to recognize it.
const (
	KeyPrefix      = "wsk_"
	KeyShownPrefix = 12
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID is prefix and 20 lowercase base32 characters (65 bits) read from random: the ids
// the management API and the operator's tools give what they create.
func NewID(random io.Reader, prefix string) (string, error) {
	b := make([]byte, 13)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return prefix + strings.ToLower(idEncoding.EncodeToString(b))[:20], nil
}

// NewKey makes an API key for k's tenant from random (crypto/rand outside tests): the key
// itself (KeyPrefix and 32 random bytes, base64url), shown once, and k as it is stored,
// with the key's hash, an id and the key's first KeyShownPrefix characters.
func NewKey(random io.Reader, k APIKey) (APIKey, string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return APIKey{}, "", fmt.Errorf("new API key: %w", err)
	}
	id, err := NewID(random, "key_")
	if err != nil {
		return APIKey{}, "", err
	}
	secret := KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	k.Hash, k.ID, k.Prefix = HashKey(secret), id, secret[:KeyShownPrefix]
	return k, secret, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// NewTenantID makes a tenant's id from its name: t_, a slug of the name (at most 24
// characters) and 8 hex digits read from random.
func NewTenantID(random io.Reader, name string) (string, error) {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	slug = strings.TrimRight(slug[:min(len(slug), 24)], "-")
	b := make([]byte, 4)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("new tenant id: %w", err)
	}
	return "t_" + slug + "_" + hex.EncodeToString(b), nil
}
