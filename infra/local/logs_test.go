package local_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// TestBootstrapLogsJSONWithItsRequestID: a real bootstrap (ingest-stripe) under the RIE,
// with the local stack's environment, answers a wrong method and logs it as one JSON line
// that carries the invocation's request id, the one the RIE announced.
func TestBootstrapLogsJSONWithItsRequestID(t *testing.T) {
	testenv.SkipShort(t, "a bootstrap built and run under the RIE")
	wd, _ := os.Getwd()
	root, err := emulator.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	rie, err := emulator.Tool(root, "aws-lambda-rie", "run `make tools`")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := topology.Default().Function("ingest-stripe")
	bootstrap, err := local.BuildPackage(t.Context(), root, filepath.Join(t.TempDir(), "bootstrap"), "./functions/ingest-stripe")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "http://127.0.0.1:9"
	st := local.State{DynamoDB: nowhere, SQS: nowhere, KMS: nowhere, Tables: map[string]string{}, Queues: map[string]string{}}
	for _, table := range topology.Default().Tables {
		st.Tables[table] = "logs-" + table
	}
	for _, q := range topology.Default().Queues {
		st.Queues[q.Name] = nowhere + "/000000000000/logs-" + q.Name
	}
	env, err := local.FunctionEnv(f, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &emulator.LockedBuffer{}
	pool, err := local.StartPool(t.Context(), local.PoolSpec{Name: f.Name, RIE: rie, Bootstrap: bootstrap, Size: 1, Env: env, Logs: logs, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Stop)
	payload := `{"version":"2.0","routeKey":"ANY /webhooks/stripe/{connectionId}","rawPath":"/webhooks/stripe/c",` +
		`"requestContext":{"http":{"method":"PUT","path":"/webhooks/stripe/c"},"requestId":"api-gateway-id"},"pathParameters":{"connectionId":"c"}}`
	out, err := pool.Invoke(t.Context(), []byte(payload))
	if err != nil || !strings.Contains(string(out), `"statusCode":405`) {
		t.Fatalf("answer %s: %v", out, err)
	}
	pool.Stop()
	announced := regexp.MustCompile(`START RequestId: ([0-9a-f-]{36})`).FindStringSubmatch(logs.String())
	if announced == nil {
		t.Fatalf("the RIE announced no request id:\n%s", logs.String())
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		_, body, ok := strings.Cut(line, "] ")
		if !ok || !strings.HasPrefix(body, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			t.Fatalf("a log line that is not JSON: %s", body)
		}
		if rec["message"] == "ingest rejected" {
			if rec["requestId"] != announced[1] || rec["function"] != f.Name || rec["level"] != "WARN" || rec["timestamp"] == nil {
				t.Fatalf("the line %s lacks request id %s, its function or its level", body, announced[1])
			}
			t.Logf("one log line: %s", body)
			return
		}
	}
	t.Fatalf("no JSON line for the rejected request:\n%s", logs.String())
}
