package connectors_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/topology"
)

// TestIngestImportsNoConnector: ingest functions, whose cold start we measure, import
// neither this package nor stripe-go nor OAuth2.
func TestIngestImportsNoConnector(t *testing.T) {
	var pkgs []string
	for _, name := range topology.Default().Names() {
		if strings.HasPrefix(name, "ingest-") {
			pkgs = append(pkgs, "./"+filepath.Join("functions", name))
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("no ingest function in the topology")
	}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/stripe/stripe-go") || dep == "github.com/wedsync/webhooks/shared/connectors" ||
			dep == "github.com/wedsync/webhooks/shared/act" || strings.HasPrefix(dep, "golang.org/x/oauth2") {
			t.Errorf("an ingest function imports %s", dep)
		}
	}
}
