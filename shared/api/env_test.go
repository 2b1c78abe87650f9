package api_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// hmacKey creates an HMAC_256 key in the KMS emulator, as the stack makes the cursor key.
func hmacKey(t *testing.T, client *kms.Client) string {
	t.Helper()
	out, err := client.CreateKey(context.Background(), &kms.CreateKeyInput{
		KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac, Description: aws.String(t.Name()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// setFunctionEnv gives the process the api function's environment on fresh emulator
// resources, as the stack would, and returns the tables.
func setFunctionEnv(t *testing.T, k *kms.Client) map[string]string {
	t.Helper()
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	for _, name := range []string{topology.TableAPIKeys, topology.TableConnections, topology.TableSubscriptions, topology.TableEvents,
		topology.TableIdempotencyKeys, topology.TableDeliveries, topology.TableRateLimits, topology.TableCredentials, topology.TableJobs} {
		t.Setenv(topology.TableEnv(name), tables[name])
	}
	t.Setenv(topology.QueueEnv(topology.QueueDeliveries), testenv.Queue(t, testenv.SQS(t, cfg), "deliveries", 30*time.Second))
	t.Setenv(topology.QueueEnv(topology.QueueCommands), testenv.Queue(t, testenv.SQS(t, cfg), "commands", 30*time.Second))
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", testenv.DynamoDBEndpoint(t))
	t.Setenv("AWS_ENDPOINT_URL_SQS", testenv.SQSEndpoint(t))
	t.Setenv("AWS_ENDPOINT_URL_KMS", testenv.KMSEndpoint(t))
	t.Setenv("WEDSYNC_STAGE", "test")
	t.Setenv("WEDSYNC_KMS_KEY_ID", testenv.KMSKey(t, k))
	return tables
}

// TestFromEnvWiresLimitsAndCursorKey: the function's environment alone makes a server
// that holds each tenant to its request rate and quotas, and signs cursors with the key
// derived from the cursor KMS key, not with any secret in the environment.
func TestFromEnvWiresLimitsAndCursorKey(t *testing.T) {
	k := testenv.KMS(t, testenv.Config(testenv.CallTimeout))
	tables := setFunctionEnv(t, k)
	cursorKeyID := hmacKey(t, k)
	t.Setenv("WEDSYNC_CURSOR_KEY_ID", cursorKeyID)
	t.Setenv("WEDSYNC_CURSOR_SECRET", "a-local-cursor-secret-0123456789abcdef")
	t.Setenv("WEDSYNC_RATE_API_PER_SECOND", "2")
	t.Setenv("WEDSYNC_QUOTA_CONNECTIONS", "1")
	ctx := context.Background()
	s, err := api.FromEnv(ctx, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	derived, err := api.CursorKeyFromKMS(ctx, k, cursorKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Cursors.Key, derived) || bytes.Contains(s.Cursors.Key, []byte("a-local-cursor-secret")) {
		t.Fatal("the cursor key is not the one derived from WEDSYNC_CURSOR_KEY_ID")
	}
	c := testenv.NewClock(now)
	s.Now = c.Now
	keys := &store.APIKeys{DB: testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout)), Table: tables[topology.TableAPIKeys]}
	for key, tenant := range map[string]string{keyA: "tenant-a", keyB: "tenant-b"} {
		if err := keys.Put(ctx, store.APIKey{Hash: store.HashKey(key), TenantID: tenant, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, server: s}
	for range 2 {
		e.must(http.StatusOK, "GET", "/v1/event-types", keyA, nil, nil)
	}
	if a := e.call("GET", "/v1/event-types", keyA, nil); a.status != http.StatusTooManyRequests || a.header.Get("retry-after") == "" {
		t.Fatalf("a third request in a second of 2/s: %d %s", a.status, a.raw)
	}
	e.must(http.StatusOK, "GET", "/v1/event-types", keyB, nil, nil)
	c.Set(now.Add(time.Second))
	e.must(http.StatusCreated, "POST", "/v1/connections", keyA, map[string]any{"kind": "custom"}, nil)
	if a := e.call("POST", "/v1/connections", keyA, map[string]any{"kind": "custom"}); a.status != http.StatusConflict || a.Error.Code != "QUOTA_EXCEEDED" {
		t.Fatalf("a second connection of one: %d %s", a.status, a.raw)
	}
}

// TestFromEnvRefusesBadLimitsAndCursorSecrets: a limit that is not a positive integer is
// named; outside the local stack and tests a plain cursor secret is refused, and a missing
// cursor key is named.
func TestFromEnvRefusesBadLimitsAndCursorSecrets(t *testing.T) {
	k := testenv.KMS(t, testenv.Config(testenv.CallTimeout))
	setFunctionEnv(t, k)
	ctx := context.Background()
	t.Setenv("WEDSYNC_CURSOR_SECRET", "a-local-cursor-secret-0123456789abcdef")
	t.Setenv("WEDSYNC_QUOTA_SUBSCRIPTIONS", "0")
	t.Setenv("WEDSYNC_RATE_REPLAYS_PER_MINUTE", "many")
	_, err := api.FromEnv(ctx, os.Getenv)
	if err == nil || !strings.Contains(err.Error(), "WEDSYNC_QUOTA_SUBSCRIPTIONS") || !strings.Contains(err.Error(), "WEDSYNC_RATE_REPLAYS_PER_MINUTE") {
		t.Fatalf("bad limits: %v", err)
	}
	t.Setenv("WEDSYNC_QUOTA_SUBSCRIPTIONS", "")
	t.Setenv("WEDSYNC_RATE_REPLAYS_PER_MINUTE", "")
	t.Setenv("WEDSYNC_STAGE", "prod")
	if _, err := api.FromEnv(ctx, os.Getenv); !errors.Is(err, api.ErrCursorSecretRefused) {
		t.Fatalf("a plain cursor secret in prod: %v", err)
	}
	t.Setenv("WEDSYNC_CURSOR_SECRET", "")
	if _, err := api.FromEnv(ctx, os.Getenv); !errors.Is(err, api.ErrNoCursorKey) {
		t.Fatalf("no cursor key in prod: %v", err)
	}
	t.Setenv("WEDSYNC_CURSOR_KEY_ID", hmacKey(t, k))
	if _, err := api.FromEnv(ctx, os.Getenv); err != nil {
		t.Fatalf("prod with a cursor KMS key: %v", err)
	}
}

// TestCursorKeyFromKMS: every container derives the same key from one KMS key, another KMS
// key gives another, and a failing KMS call is an error.
func TestCursorKeyFromKMS(t *testing.T) {
	k := testenv.KMS(t, testenv.Config(testenv.CallTimeout))
	ctx := context.Background()
	one, other := hmacKey(t, k), hmacKey(t, k)
	a, err := api.CursorKeyFromKMS(ctx, k, one)
	if err != nil {
		t.Fatal(err)
	}
	b, err := api.CursorKeyFromKMS(ctx, testenv.KMS(t, testenv.Config(testenv.CallTimeout)), one)
	if err != nil || !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatalf("two derivations: %x, %x, %v", a, b, err)
	}
	if c, err := api.CursorKeyFromKMS(ctx, k, other); err != nil || bytes.Equal(a, c) {
		t.Fatalf("another key: %x, %v", c, err)
	}
	token := api.Cursors{Key: a}.Sign("tenant-a", "connections", "store-cursor")
	if got, err := (api.Cursors{Key: b}).Open("tenant-a", "connections", token); err != nil || got != "store-cursor" {
		t.Fatalf("a cursor signed by one container, opened by another: %q, %v", got, err)
	}
	rec := testenv.NewRecorder()
	rec.Inject("GenerateMac", testenv.Fails)
	if _, err := api.CursorKeyFromKMS(ctx, testenv.KMS(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware)), one); !errors.Is(err, testenv.ErrInjected) {
		t.Fatalf("a failing GenerateMac: %v", err)
	}
}
