package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestPutCredentialsSealsAndNeverShows: outbound credentials are stored sealed (KMS), never
// in an answer, a table or a log, open only for their connection, and replacing them drops
// the old OAuth2 token.
func TestPutCredentialsSealsAndNeverShows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var stripeConn, calendlyConn connection
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "stripe", "secret": "whsec_stripe_signing"}, &stripeConn)
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "calendly", "secret": "calendly_signing_key"}, &calendlyConn)

	const apiKey = "sk_test_outbound_stripe_key_51Hx"
	var shown struct {
		ConnectionID string `json:"connection_id"`
		Kind         string `json:"kind"`
		Type         string `json:"type"`
	}
	a := e.must(200, "PUT", "/v1/connections/"+stripeConn.ID+"/credentials", keyA, map[string]any{"api_key": apiKey}, &shown)
	if shown.ConnectionID != stripeConn.ID || shown.Kind != "stripe" || shown.Type != "api_key" || strings.Contains(a.raw, apiKey) {
		t.Fatalf("answer %s", a.raw)
	}
	oauth := map[string]any{"client_id": "cal_client", "client_secret": "cal_client_secret_value", "refresh_token": "cal_refresh_token_value"}
	e.must(200, "PUT", "/v1/connections/"+calendlyConn.ID+"/credentials", keyA, map[string]any{"oauth2": oauth}, &shown)
	if shown.Type != "oauth2" {
		t.Fatalf("calendly credentials shown as %+v", shown)
	}
	if got := e.call("GET", "/v1/connections/"+stripeConn.ID, keyA, nil); strings.Contains(got.raw, apiKey) {
		t.Fatal("GET shows the API key")
	}

	creds := &store.Credentials{DB: e.db, Table: e.tables["credentials"]}
	stored, err := creds.Get(ctx, "tenant-a", stripeConn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.Sealed, "kms1.") || stored.Kind != "stripe" || stored.Type != "api_key" {
		t.Fatalf("stored %+v", stored)
	}
	secret, err := connectors.OpenSecret(ctx, e.sealer, stored)
	if err != nil || secret.APIKey != apiKey {
		t.Fatalf("opened %+v, %v", secret, err)
	}
	moved := stored
	moved.ConnectionID = calendlyConn.ID
	if _, err := connectors.OpenSecret(ctx, e.sealer, moved); err == nil {
		t.Fatal("a connection's sealed credentials opened for another connection")
	}
	out, err := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout)).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(e.tables["credentials"])})
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := json.Marshal(out.Items)
	for _, s := range []string{apiKey, "cal_client_secret_value", "cal_refresh_token_value"} {
		if strings.Contains(string(dump), s) || strings.Contains(e.logs.String(), s) {
			t.Fatalf("%s appears in the credentials table or the logs", s)
		}
	}

	tokens := &connectors.StoredTokens{Store: creds, Sealer: e.sealer, TenantID: "tenant-a", ConnectionID: calendlyConn.ID}
	before, _ := creds.Get(ctx, "tenant-a", calendlyConn.ID)
	if _, err := tokens.Save(ctx, before.TokenRevision, nil, now); err != nil {
		t.Fatal(err)
	}
	e.must(200, "PUT", "/v1/connections/"+calendlyConn.ID+"/credentials", keyA, map[string]any{"api_key": "calendly_pat_value"}, nil)
	after, _ := creds.Get(ctx, "tenant-a", calendlyConn.ID)
	if after.SealedToken != "" || after.Type != "api_key" || after.TokenRevision <= before.TokenRevision+1 {
		t.Fatalf("replaced credentials kept the old token: %+v", after)
	}
	if refs, err := creds.ListByTenant(ctx, "tenant-a"); err != nil || len(refs) != 2 {
		t.Fatalf("tenant A's credentials: %+v, %v", refs, err)
	}
}

// TestPutCredentialsValidates: each kind takes what its API needs, nothing else.
func TestPutCredentialsValidates(t *testing.T) {
	e := newEnv(t)
	conns := map[string]connection{}
	for kind, body := range map[string]map[string]any{
		"stripe": {"secret": "whsec_x"}, "mandrill": {"secret": "k", "url": "https://a.example.com/m"}, "calendly": {"secret": "k"},
		"zapier": {}, "mailchimp": {}, "custom": {},
	} {
		var c connection
		body["kind"] = kind
		e.must(201, "POST", "/v1/connections", keyA, body, &c)
		conns[kind] = c
	}
	oauth := map[string]any{"client_id": "c", "client_secret": "s", "refresh_token": "r"}
	for _, tc := range []struct {
		kind  string
		body  map[string]any
		field string
	}{
		{"stripe", map[string]any{"api_key": "pk_test_publishable"}, "api_key"},
		{"stripe", map[string]any{}, "api_key"},
		{"stripe", map[string]any{"api_key": "sk_test_1", "hook_url": "https://hooks.zapier.com/hooks/catch/1/a/"}, "hook_url"},
		{"mandrill", map[string]any{}, "api_key"},
		{"mandrill", map[string]any{"api_key": "md_key", "oauth2": oauth}, "oauth2"},
		{"mandrill", map[string]any{"api_key": "md_key", "from_email": "not an address"}, "from_email"},
		{"stripe", map[string]any{"api_key": "sk_test_1", "from_email": "a@example.com"}, "from_email"},
		{"calendly", map[string]any{}, "api_key"},
		{"calendly", map[string]any{"api_key": "pat", "oauth2": oauth}, "api_key"},
		{"zapier", map[string]any{"hook_url": "https://example.com/hooks/catch/1/a/"}, "hook_url"},
		{"zapier", map[string]any{"hook_url": "http://127.0.0.1:9/hooks/catch/1/a/"}, "hook_url"},
		{"zapier", map[string]any{"hook_url": "https://hooks.zapier.com/hooks/catch/1/a/", "api_key": "x"}, "api_key"},
		{"mailchimp", map[string]any{"api_key": "mc_key"}, "connection"},
		{"custom", map[string]any{"api_key": "x"}, "connection"},
	} {
		a := e.call("PUT", "/v1/connections/"+conns[tc.kind].ID+"/credentials", keyA, tc.body)
		if a.status != 422 || a.Error.Details[tc.field] == nil {
			t.Errorf("%s %v: %d %s, want 422 on %s", tc.kind, tc.body, a.status, a.raw, tc.field)
		}
	}
	for kind, body := range map[string]map[string]any{
		"stripe": {"api_key": "rk_test_restricted"}, "mandrill": {"api_key": "md_key", "from_email": "hello@venue.example"}, "calendly": {"oauth2": oauth},
		"zapier": {"hook_url": "https://hooks.zapier.com/hooks/catch/123/abcdef/"},
	} {
		e.must(200, "PUT", "/v1/connections/"+conns[kind].ID+"/credentials", keyA, body, nil)
	}
}
