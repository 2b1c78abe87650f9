package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

const apiURL = "https://abc123.execute-api.us-east-1.amazonaws.com/"

func writeOutputs(t *testing.T, outputs map[string]string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]map[string]string{stackName: outputs})
	path := filepath.Join(t.TempDir(), "outputs.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDeployedNamesTheURLsAndTheFirstSteps(t *testing.T) {
	var out bytes.Buffer
	if err := deployed(t.TempDir(), []string{"-outputs", writeOutputs(t, map[string]string{"ApiUrl": apiURL})}, &out); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimRight(apiURL, "/")
	want := []string{"API base URL     " + base + "\n", base + "/v1/openapi.json", "go run ./infra/ops tenant -name", base + "/v1/connections", "make smoke BASE_URL=" + base}
	kinds := 0
	for _, f := range topology.Default().Functions {
		for _, r := range f.Routes {
			if strings.HasPrefix(r.Path, "/webhooks/") {
				want, kinds = append(want, base+r.Path+"\n"), kinds+1
			}
		}
	}
	if kinds == 0 {
		t.Fatal("the topology has no ingest route")
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the summary lacks %q:\n%s", w, out.String())
		}
	}
	if err := deployed(t.TempDir(), []string{"-outputs", writeOutputs(t, map[string]string{})}, &out); !errors.Is(err, ErrNoOutputs) {
		t.Errorf("without ApiUrl: %v, want ErrNoOutputs", err)
	}
}

// TestTenantCreatesAKeyTheAPIFinds writes the first tenant's key into the deployed API keys
// table (DynamoDB Local standing in for AWS, through AWS_ENDPOINT_URL_DYNAMODB).
func TestTenantCreatesAKeyTheAPIFinds(t *testing.T) {
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	tables := testenv.Tables(t, db)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", testenv.DynamoDBEndpoint(t))
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	path := writeOutputs(t, map[string]string{"ApiUrl": apiURL, "ApiKeysTableName": tables[topology.TableAPIKeys]})
	var out bytes.Buffer
	if err := tenant(context.Background(), t.TempDir(), []string{"-name", "Lumière Photo", "-outputs", path}, &out); err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`API key (wsk_[A-Za-z0-9_-]+)`).FindStringSubmatch(out.String())
	if key == nil {
		t.Fatalf("no key printed:\n%s", out.String())
	}
	found, err := (&store.APIKeys{DB: db, Table: tables[topology.TableAPIKeys]}).Lookup(context.Background(), store.HashKey(key[1]))
	if err != nil || found.TenantName != "Lumière Photo" || !strings.HasPrefix(found.TenantID, "t_lumi-re-photo_") {
		t.Fatalf("stored key: %+v, %v", found, err)
	}
	if strings.Contains(out.String(), store.HashKey(key[1])) {
		t.Error("the hash is printed beside the key")
	}
}
