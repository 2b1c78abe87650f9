package store_test

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// TestNewKey: a key is KeyPrefix and 43 base64url characters; it is stored by its hash
// alone, with an id and the first KeyShownPrefix characters; what the caller set is kept.
func TestNewKey(t *testing.T) {
	random := bytes.NewReader(bytes.Repeat([]byte{0xAB, 0x01, 0xFF}, 20))
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	k, secret, err := store.NewKey(random, store.APIKey{TenantID: "t_lumiere_00ff", Name: "ci", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^wsk_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("key %q", secret)
	}
	if !regexp.MustCompile(`^key_[a-z2-7]{20}$`).MatchString(k.ID) {
		t.Errorf("id %q", k.ID)
	}
	if k.Hash != store.HashKey(secret) || strings.Contains(k.Hash, secret) || k.Prefix != secret[:store.KeyShownPrefix] {
		t.Errorf("stored as hash %q, prefix %q", k.Hash, k.Prefix)
	}
	if k.TenantID != "t_lumiere_00ff" || k.Name != "ci" || !k.CreatedAt.Equal(at) {
		t.Errorf("the caller's fields: %+v", k)
	}
	if _, _, err := store.NewKey(bytes.NewReader(make([]byte, 40)), store.APIKey{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("from a short source: %v", err)
	}
}

func TestNewTenantID(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Lumière Photo", "t_lumi-re-photo_0a0b0c0d"},
		{"  The Assembly Rooms, Bath — Weddings & Events  ", "t_the-assembly-rooms-bath_0a0b0c0d"},
	} {
		got, err := store.NewTenantID(bytes.NewReader([]byte{0x0a, 0x0b, 0x0c, 0x0d}), tt.name)
		if err != nil || got != tt.want {
			t.Errorf("NewTenantID(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
