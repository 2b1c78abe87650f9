package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wedsync/webhooks/shared/topology"
)

// stackName is infra/stack.Name, not imported so that ops does not link the CDK.
const stackName = "WedSyncWebhooks"

// DefaultOutputs is where `make deploy` has the CLI write the stack's outputs.
const DefaultOutputs = "cdk.out/outputs.json"

// ErrNoOutputs means the outputs file lacks the stack or one of its outputs.
var ErrNoOutputs = errors.New("missing stack output")

// Outputs are the stack's outputs as `cdk deploy --outputs-file` writes them.
type Outputs map[string]string

func readOutputs(root, path string) (Outputs, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the stack's outputs (written by make deploy): %w", err)
	}
	var stacks map[string]Outputs
	if err := json.Unmarshal(b, &stacks); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out, ok := stacks[stackName]
	if !ok {
		return nil, fmt.Errorf("%w: %s has no stack %s", ErrNoOutputs, path, stackName)
	}
	return out, nil
}

func (o Outputs) get(name string) (string, error) {
	if v := o[name]; v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%w %s", ErrNoOutputs, name)
}

// deployed prints what a deploy made and what to do next.
func deployed(root string, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("deployed", flag.ContinueOnError)
	path := fs.String("outputs", DefaultOutputs, "the outputs file cdk deploy wrote")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out, err := readOutputs(root, *path)
	if err != nil {
		return err
	}
	base, err := out.get("ApiUrl")
	if err != nil {
		return err
	}
	base = strings.TrimRight(base, "/")
	fmt.Fprintf(w, "\nWedSync Webhooks is deployed.\n")
	fmt.Fprintf(w, "  API base URL     %s\n", base)
	fmt.Fprintf(w, "  management API   %s/v1   (OpenAPI: %s/v1/openapi.json)\n", base, base)
	fmt.Fprintln(w, "  ingest URLs      one per connection (POST /v1/connections answers its ingest_url):")
	for _, p := range ingestPaths() {
		kind := strings.Split(strings.TrimPrefix(p, "/webhooks/"), "/")[0]
		fmt.Fprintf(w, "    %-10s %s%s\n", kind, base, p)
	}
	fmt.Fprintln(w, "\nCreate the first tenant and its API key (written to the stack's tables with your AWS credentials; the key is shown once):")
	fmt.Fprintf(w, "  go run ./infra/ops tenant create --stage %s --name \"Your business\"\n", or(out["Stage"], "<stage>"))
	fmt.Fprintf(w, "  go run ./infra/ops key issue --stage %s --tenant <the tenant's id>\n", or(out["Stage"], "<stage>"))
	fmt.Fprintln(w, "Then create a connection per provider with that key, and give the provider its ingest_url:")
	fmt.Fprintf(w, "  curl -sS %s/v1/connections -H \"authorization: Bearer $API_KEY\" -H 'content-type: application/json' -d '{\"kind\":\"custom\",\"name\":\"My CRM\"}'\n", base)
	fmt.Fprintln(w, "and check the stack end to end with that connection's id and secret:")
	fmt.Fprintf(w, "  make smoke BASE_URL=%s API_KEY=$API_KEY CONNECTION_CUSTOM=<id> SECRET_CUSTOM=<secret>\n", base)
	return nil
}

// ingestPaths are the topology's provider routes, e.g. /webhooks/stripe/{connectionId}.
func ingestPaths() []string {
	var paths []string
	for _, f := range topology.Default().Functions {
		for _, r := range f.Routes {
			if strings.HasPrefix(r.Path, "/webhooks/") {
				paths = append(paths, r.Path)
			}
		}
	}
	slices.Sort(paths)
	return paths
}
