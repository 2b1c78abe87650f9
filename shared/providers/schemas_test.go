package providers_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/envelope/envelopetest"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/store"
)

// TestFixturesValidate: every provider fixture, normalized and enveloped as ingest stores
// it, validates against the JSON Schema of its type at the latest version, and so does its
// rendering at every other version.
func TestFixturesValidate(t *testing.T) {
	checked := 0
	for kind, p := range providers.Registry() {
		files, err := filepath.Glob(filepath.Join(kind, "testdata", "*.*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if kind == "mandrill" {
				body = mandrillBody(string(body))
			}
			req := &inbound.Request{Method: "POST", Body: body, Header: map[string]string{"webhook-id": "msg_" + filepath.Base(file)}}
			parsed, err := p.Normalize(req, inbound.Verified{Timestamp: now})
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			conn := store.Connection{ID: "conn_" + kind, TenantID: "tenant-a", Kind: kind}
			for _, ev := range parsed {
				stored, err := json.Marshal(ingest.Envelope(conn, ev, now))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(stored), `"eventversion":"`+envelope.Latest()+`"`) {
					t.Errorf("%s: not stored at the latest version: %s", file, stored)
				}
				for _, v := range envelope.VersionNames() {
					rendered, err := envelope.Render(stored, v)
					if err != nil {
						t.Fatalf("%s at %s: %v", file, v, err)
					}
					envelopetest.Validate(t, rendered)
					checked++
				}
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d renderings checked", checked)
	}
}
