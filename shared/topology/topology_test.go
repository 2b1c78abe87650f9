package topology_test

import (
	"os"
	"slices"
	"testing"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

func TestEveryFunctionHasAnEntryPointAndTheReverse(t *testing.T) {
	spec := topology.Default()
	for _, name := range spec.Names() {
		if _, err := os.Stat("../../functions/" + name + "/main.go"); err != nil {
			t.Errorf("function %s has no functions/%s/main.go", name, name)
		}
	}
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := spec.Function(d.Name()); !ok {
			t.Errorf("functions/%s is not in the topology", d.Name())
		}
	}
}

func TestTablesMatchTheStore(t *testing.T) {
	var stored []string
	for _, table := range store.Tables() {
		stored = append(stored, table.Name)
	}
	spec := topology.Default()
	if !slices.Equal(stored, spec.Tables) {
		t.Fatalf("topology tables %v, store tables %v", spec.Tables, stored)
	}
	for _, f := range spec.Functions {
		for table := range f.Tables {
			if !slices.Contains(spec.Tables, table) {
				t.Errorf("%s uses unknown table %s", f.Name, table)
			}
		}
		for q := range f.Queues {
			if !slices.ContainsFunc(spec.Queues, func(x topology.Queue) bool { return x.Name == q }) {
				t.Errorf("%s uses unknown queue %s", f.Name, q)
			}
		}
	}
}

func TestVisibilityCoversTheConsumer(t *testing.T) {
	spec := topology.Default()
	process, _ := spec.Function("process")
	if got := spec.Visibility(topology.QueueEvents); got < 6*process.Timeout {
		t.Fatalf("events queue visibility %s < 6 × %s", got, process.Timeout)
	}
}

func TestEnvironment(t *testing.T) {
	f, _ := topology.Default().Function("ingest-stripe")
	env, err := f.Environment(topology.Resources{
		Tables:    map[string]string{"connections": "c-phys", "events": "e-phys"},
		QueueURLs: map[string]string{"events": "http://q/events"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"WEDSYNC_CONNECTIONS_TABLE": "c-phys", "WEDSYNC_EVENTS_TABLE": "e-phys", "WEDSYNC_EVENTS_QUEUE_URL": "http://q/events"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if _, err := f.Environment(topology.Resources{}); err == nil {
		t.Fatal("missing resources were not reported")
	}
}
