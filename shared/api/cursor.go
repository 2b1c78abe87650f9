package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// errCursor means a cursor was not minted for this tenant and list.
var errCursor = errors.New("cursor is not valid for this list")

// Cursors signs list cursors so a client can neither forge one nor use one minted for
// another tenant or another list.
type Cursors struct {
	Key []byte
}

type cursorBody struct {
	Tenant string `json:"t"`
	List   string `json:"l"`
	Store  string `json:"c"`
}

// Sign wraps a store cursor for tenant's list; "" stays "".
func (c Cursors) Sign(tenant, list, storeCursor string) string {
	if storeCursor == "" {
		return ""
	}
	b, _ := json.Marshal(cursorBody{Tenant: tenant, List: list, Store: storeCursor})
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(c.mac(payload))
}

// Open returns the store cursor of a token minted by Sign for the same tenant and list.
func (c Cursors) Open(tenant, list, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	payload, sig, ok := strings.Cut(token, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, c.mac(payload)) {
		return "", errCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var body cursorBody
	if err != nil || json.Unmarshal(b, &body) != nil || body.Tenant != tenant || body.List != list {
		return "", errCursor
	}
	return body.Store, nil
}

func (c Cursors) mac(payload string) []byte {
	h := hmac.New(sha256.New, c.Key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}
