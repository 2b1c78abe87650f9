package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// write is one request made with an Idempotency-Key, and the answer it got.
type write struct {
	method, path, key string
	body              any
	first             answer
}

// TestIdempotentAnswersKeepNoPlaintextSecret: connections, subscriptions and API keys are
// created and rotated with an Idempotency-Key; every repeat gets the first answer, secret
// included; and no table — strings, binaries, gzipped bodies, base64 and URL encodings
// decoded — holds any of those secrets in plaintext.
func TestIdempotentAnswersKeepNoPlaintextSecret(t *testing.T) {
	e := newEnv(t)
	var writes []*write
	var secretValues []string
	do := func(want int, method, path string, body any) answer {
		t.Helper()
		w := &write{method: method, path: path, key: fmt.Sprintf("idem-%d", len(writes)), body: body}
		w.first = e.call(method, path, keyA, body, "idempotency-key", w.key)
		if w.first.status != want {
			t.Fatalf("%s %s: %d %s", method, path, w.first.status, w.first.raw)
		}
		writes = append(writes, w)
		var shown struct {
			Secret    string `json:"secret"`
			Key       string `json:"key"`
			IngestURL string `json:"ingest_url"`
		}
		_ = json.Unmarshal(w.first.Data, &shown)
		for _, s := range []string{shown.Secret, shown.Key} {
			if s != "" {
				secretValues = append(secretValues, s)
			}
		}
		if _, q, ok := strings.Cut(shown.IngestURL, "?key="); ok {
			key, _ := url.QueryUnescape(q)
			secretValues = append(secretValues, key)
		}
		return w.first
	}

	supplied := map[string]map[string]any{
		"stripe":   {"kind": "stripe", "secret": "whsec_supplied_stripe_secret_idem_0001"},
		"calendly": {"kind": "calendly", "secret": "calendly_supplied_signing_key_idem_0001"},
		"mandrill": {"kind": "mandrill", "secret": "mandrill_supplied_webhook_key_idem_0001", "url": "https://hooks.example.com/mandrill"},
		"custom2":  {"kind": "custom", "secret": "whsec_" + base64.StdEncoding.EncodeToString([]byte("a supplied custom secret, 32 b!!"))},
	}
	for _, body := range supplied {
		secretValues = append(secretValues, body["secret"].(string))
	}
	rotations := map[string]string{
		"stripe": "whsec_rotated_stripe_secret_idem_0002", "calendly": "calendly_rotated_signing_key_idem_0002",
		"mandrill": "mandrill_rotated_webhook_key_idem_0002",
		"custom2":  "whsec_" + base64.StdEncoding.EncodeToString([]byte("a rotated custom secret of 32 b!")),
	}
	for _, s := range rotations {
		secretValues = append(secretValues, s)
	}
	for _, kind := range []string{"mailchimp", "zapier", "custom"} {
		supplied[kind] = map[string]any{"kind": kind}
	}
	supplied["paypal"] = map[string]any{"kind": "paypal", "webhook_id": "WH-PAYPAL-IDEM-1"}
	for name, body := range supplied {
		var c connection
		a := do(201, "POST", "/v1/connections", body)
		if err := json.Unmarshal(a.Data, &c); err != nil {
			t.Fatal(err)
		}
		switch {
		case name == "paypal":
		case rotations[name] != "":
			do(200, "POST", "/v1/connections/"+c.ID+"/rotate-secret", map[string]any{"secret": rotations[name]})
		default:
			do(200, "POST", "/v1/connections/"+c.ID+"/rotate-secret", map[string]any{})
		}
	}
	var sub subscription
	json.Unmarshal(do(201, "POST", "/v1/subscriptions", map[string]any{"endpoint_url": "https://a.example.com/hook", "event_types": []string{"*"}}).Data, &sub)
	do(200, "POST", "/v1/subscriptions/"+sub.ID+"/rotate-secret", nil)
	supplliedSub := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a supplied subscription secret!!"))
	secretValues = append(secretValues, supplliedSub)
	do(201, "POST", "/v1/subscriptions", map[string]any{"endpoint_url": "https://b.example.com/hook", "event_types": []string{"payment.*"}, "secret": supplliedSub})
	do(202, "POST", "/v1/subscriptions/"+sub.ID+"/test", map[string]any{})
	do(201, "POST", "/v1/api-keys", map[string]any{"name": "replayed key"})
	if len(secretValues) < 16 {
		t.Fatalf("only %d secrets were shown", len(secretValues))
	}

	for _, w := range writes {
		again := e.call(w.method, w.path, keyA, w.body, "idempotency-key", w.key)
		if again.status != w.first.status || again.raw != w.first.raw || again.header.Get("idempotent-replayed") != "true" {
			t.Fatalf("%s %s replayed as %d %s, first %d %s", w.method, w.path, again.status, again.raw, w.first.status, w.first.raw)
		}
	}

	for name, table := range e.tables {
		for _, item := range scanAll(t, e, table) {
			var texts [][]byte
			for _, v := range item {
				texts = appendDecoded(texts, v)
			}
			for _, text := range texts {
				for _, s := range secretValues {
					for _, needle := range secretForms(s) {
						if bytes.Contains(text, needle) {
							t.Fatalf("table %s holds a secret (%.10s…) in plaintext", name, s)
						}
					}
				}
			}
		}
	}
}

// TestIdempotentAnswerIsTenantBound: a remembered answer copied under another tenant's
// Idempotency-Key does not open there; that tenant gets an error, never the secret.
func TestIdempotentAnswerIsTenantBound(t *testing.T) {
	e := newEnv(t)
	first := e.call("POST", "/v1/connections", keyA, map[string]any{"kind": "custom"}, "idempotency-key", "shared-key")
	var c connection
	if err := json.Unmarshal(first.Data, &c); err != nil || c.Secret == "" {
		t.Fatalf("create: %s", first.raw)
	}
	items := scanAll(t, e, e.tables["idempotency_keys"])
	if len(items) != 1 {
		t.Fatalf("%d idempotency records", len(items))
	}
	stolen := items[0]
	sealed, _ := stolen["sealed_body"].(*types.AttributeValueMemberS)
	if sealed == nil || !strings.HasPrefix(sealed.Value, "kms1.") {
		t.Fatalf("the answer is not sealed: %v", stolen["sealed_body"])
	}
	stolen["scope"] = &types.AttributeValueMemberS{Value: "tenant-b\x00POST /v1/connections\x00shared-key"}
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.tables["idempotency_keys"]), Item: stolen}); err != nil {
		t.Fatal(err)
	}
	a := e.call("POST", "/v1/connections", keyB, map[string]any{"kind": "custom"}, "idempotency-key", "shared-key")
	if a.status != 500 || strings.Contains(a.raw, c.Secret) {
		t.Fatalf("tenant B got %d %s", a.status, a.raw)
	}
}

func scanAll(t *testing.T, e *env, table string) []map[string]types.AttributeValue {
	t.Helper()
	db, ok := e.db.(interface {
		Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	})
	if !ok {
		t.Fatal("the test DynamoDB client cannot scan")
	}
	var items []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, out.Items...)
		if start = out.LastEvaluatedKey; len(start) == 0 {
			return items
		}
	}
}

// appendDecoded adds every reading of v: strings as they are, URL-unescaped and
// base64-decoded; binaries as they are and gunzipped; lists, maps and sets element-wise.
func appendDecoded(out [][]byte, v types.AttributeValue) [][]byte {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return appendString(out, x.Value)
	case *types.AttributeValueMemberSS:
		for _, s := range x.Value {
			out = appendString(out, s)
		}
	case *types.AttributeValueMemberB:
		out = appendBinary(out, x.Value)
	case *types.AttributeValueMemberBS:
		for _, b := range x.Value {
			out = appendBinary(out, b)
		}
	case *types.AttributeValueMemberL:
		for _, e := range x.Value {
			out = appendDecoded(out, e)
		}
	case *types.AttributeValueMemberM:
		for k, e := range x.Value {
			out = append(out, []byte(k))
			out = appendDecoded(out, e)
		}
	}
	return out
}

func appendString(out [][]byte, s string) [][]byte {
	out = append(out, []byte(s))
	if u, err := url.QueryUnescape(s); err == nil {
		out = append(out, []byte(u))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(".:,\"\x00 ", r) }) {
			if b, err := enc.DecodeString(part); err == nil {
				out = appendBinary(out, b)
			}
		}
	}
	return out
}

func appendBinary(out [][]byte, b []byte) [][]byte {
	out = append(out, b)
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				out = append(out, plain)
			}
		}
	}
	return out
}

// secretForms are the spellings a stored secret could take: as shown, without its prefix,
// URL-escaped, base64-encoded, and a Standard Webhooks secret's key bytes.
func secretForms(s string) [][]byte {
	forms := [][]byte{[]byte(s), []byte(url.QueryEscape(s)), []byte(base64.StdEncoding.EncodeToString([]byte(s)))}
	for _, prefix := range []string{"whsec_", "zap_", "wsk_"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			forms = append(forms, []byte(rest))
		}
	}
	if key, err := stdwebhooks.DecodeSecret(s); err == nil {
		forms = append(forms, key)
	}
	return forms
}
