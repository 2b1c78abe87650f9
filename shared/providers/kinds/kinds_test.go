package kinds_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/providers/kinds"
	"github.com/wedsync/webhooks/shared/topology"
)

// ingestKinds are the kinds the topology has an ingest function and route for.
func ingestKinds(t *testing.T, spec topology.Spec) []string {
	t.Helper()
	var out []string
	for _, f := range spec.Functions {
		kind, ok := strings.CutPrefix(f.Name, "ingest-")
		if !ok {
			continue
		}
		if len(f.Routes) != 1 || f.Routes[0] != (topology.Route{Method: "ANY", Path: "/webhooks/" + kind + "/{connectionId}"}) {
			t.Errorf("%s has routes %v", f.Name, f.Routes)
		}
		out = append(out, kind)
	}
	return out
}

// apiKinds are the values the management API documents (and validates) for a connection's kind.
func apiKinds(t *testing.T) []string {
	t.Helper()
	raw, err := (&api.Server{}).Build().Document("")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas["ConnectionBody"].Properties["kind"].Enum
}

// readmeKinds are the providers of the README's table (the first word of each row, lower-cased).
func readmeKinds(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Providers\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var out []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "provider" {
			continue
		}
		out = append(out, strings.ToLower(strings.Fields(cells[1])[0]))
	}
	return out
}

// disagreements names each derived list that is not the same set as want.
func disagreements(want []string, lists map[string][]string) []string {
	var out []string
	for name, got := range lists {
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryProviderListAgrees: the registry, the topology's ingest functions, the API's kind
// values and the README's table all name exactly the kinds of the one list, the API in its
// order.
func TestEveryProviderListAgrees(t *testing.T) {
	all := kinds.All()
	lists := map[string][]string{
		"registry": slices.Collect(maps.Keys(providers.Registry())),
		"topology": ingestKinds(t, topology.Default()),
		"api":      apiKinds(t),
		"README":   readmeKinds(t),
	}
	if bad := disagreements(all, lists); len(bad) > 0 {
		for _, name := range bad {
			t.Errorf("%s names %v, the provider list %v", name, lists[name], all)
		}
	}
	if !slices.Equal(lists["api"], all) {
		t.Errorf("the API's kinds %v are not in the list's order %v", lists["api"], all)
	}
}

type fake struct{}

func (fake) Kind() string               { return "example" }
func (fake) Format() inbound.BodyFormat { return inbound.FormatJSON }
func (fake) Verify(context.Context, *inbound.Request, inbound.Credentials, time.Time) (inbound.Verified, error) {
	return inbound.Verified{}, nil
}
func (fake) Normalize(*inbound.Request, inbound.Verified) ([]inbound.Parsed, error) { return nil, nil }

// TestAFakeProviderFollowsThrough: a provider added to the registry and the list gets an
// ingest function with its route, resources and secrets like every other, so the build, the
// local stack and the CDK stack (which read the topology) follow; and the agreement check
// names the documentation that does not yet list it.
func TestAFakeProviderFollowsThrough(t *testing.T) {
	registry := providers.Registry()
	registry["example"] = fake{}
	list := append(kinds.All(), "example")
	spec := topology.ForKinds(list)
	got := ingestKinds(t, spec)
	if !slices.Contains(got, "example") || !slices.Contains(spec.Names(), "ingest-example") {
		t.Fatalf("the topology's ingest functions %v lack the fake", got)
	}
	f, _ := spec.Function("ingest-example")
	stripe, _ := spec.Function("ingest-stripe")
	if !slices.Equal(f.ResourceVars(), stripe.ResourceVars()) || f.Secrets != stripe.Secrets || f.Timeout != stripe.Timeout {
		t.Fatalf("the fake's function %+v is not built like the others' %+v", f, stripe)
	}
	bad := disagreements(list, map[string][]string{
		"registry": slices.Collect(maps.Keys(registry)),
		"topology": got,
		"README":   readmeKinds(t),
	})
	if !slices.Equal(bad, []string{"README"}) {
		t.Fatalf("disagreements %v, want only the README, which does not list the fake", bad)
	}
}
