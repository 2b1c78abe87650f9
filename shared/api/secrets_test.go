package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestNoPlaintextSecrets: after connections of every kind and subscriptions are created and
// rotated, no table holds any secret's bytes, no log line shows one, and a sealed secret
// does not open under another tenant.
func TestNoPlaintextSecrets(t *testing.T) {
	e := newEnv(t)
	supplied := map[string]map[string]any{
		"stripe":    {"kind": "stripe", "secret": "whsec_supplied_stripe_secret_value"},
		"calendly":  {"kind": "calendly", "secret": "calendly_supplied_signing_key_value"},
		"mandrill":  {"kind": "mandrill", "secret": "mandrill_supplied_webhook_key_value", "url": "https://hooks.example.com/mandrill"},
		"paypal":    {"kind": "paypal", "webhook_id": "WH-PAYPAL-1234567890"},
		"mailchimp": {"kind": "mailchimp"},
		"zapier":    {"kind": "zapier"},
		"custom":    {"kind": "custom"},
		"custom2":   {"kind": "custom", "secret": "whsec_" + base64.StdEncoding.EncodeToString([]byte("a custom secret of 32 bytes!!!!!"))},
	}
	var secretValues []string
	var firstConn connection
	for name, body := range supplied {
		var c connection
		e.must(201, "POST", "/v1/connections", keyA, body, &c)
		if firstConn.ID == "" {
			firstConn = c
		}
		if s, ok := body["secret"].(string); ok {
			secretValues = append(secretValues, s)
		}
		if c.Secret != "" {
			secretValues = append(secretValues, c.Secret)
		}
		if name == "custom" || name == "zapier" || name == "mailchimp" {
			if c.Secret == "" {
				t.Fatalf("%s: the issued secret was not shown on create", name)
			}
			var rotated connection
			e.must(200, "POST", "/v1/connections/"+c.ID+"/rotate-secret", keyA, map[string]any{}, &rotated)
			if rotated.Secret == "" || rotated.Secret == c.Secret {
				t.Fatalf("%s: rotation showed %q", name, rotated.Secret)
			}
			secretValues = append(secretValues, rotated.Secret)
			var again connection
			e.must(200, "GET", "/v1/connections/"+c.ID, keyA, nil, &again)
			if again.Secret != "" || strings.Contains(again.IngestURL, "key=") {
				t.Fatalf("%s: GET shows the secret: %+v", name, again)
			}
		}
	}
	var sub subscription
	e.must(201, "POST", "/v1/subscriptions", keyA, map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"payment.*"}}, &sub)
	var rotated subscription
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/rotate-secret", keyA, nil, &rotated)
	secretValues = append(secretValues, sub.Secret, rotated.Secret)

	for _, name := range []string{"connections", "subscriptions", "idempotency_keys", "api_keys"} {
		out, err := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout)).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(e.tables[name])})
		if err != nil {
			t.Fatal(err)
		}
		dump, _ := json.Marshal(out.Items)
		for _, s := range secretValues {
			for _, form := range []string{s, strings.TrimPrefix(s, "whsec_"), base64.StdEncoding.EncodeToString([]byte(s))} {
				if strings.Contains(string(dump), form) {
					t.Fatalf("table %s holds a secret in plaintext", name)
				}
			}
		}
	}
	for _, s := range secretValues {
		if strings.Contains(e.logs.String(), s) {
			t.Fatal("a secret appears in the logs")
		}
	}

	stored, err := e.conns.Get(context.Background(), firstConn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.OpenSet(context.Background(), e.sealer, secrets.Scope{TenantID: "tenant-b", ResourceID: stored.ID}, stored.SealedSecrets); err == nil {
		t.Fatal("tenant A's sealed secret opened under tenant B's encryption context")
	}
	if _, err := secrets.OpenSet(context.Background(), e.sealer, secrets.Scope{TenantID: "tenant-a", ResourceID: stored.ID}, stored.SealedSecrets); err != nil {
		t.Fatalf("the owner cannot open it: %v", err)
	}
}
