package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	want := []string{"API base URL     " + base + "\n", base + "/v1/openapi.json", "go run ./infra/ops tenant create --stage <stage>", "go run ./infra/ops key issue --stage", base + "/v1/connections", "make smoke BASE_URL=" + base}
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
