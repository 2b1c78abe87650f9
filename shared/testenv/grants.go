package testenv

import (
	"testing"

	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// Grants returns SDK middleware that holds a test's clients to what the topology grants
// function, as the local stack and IAM do: tables are the test's physical names by logical
// name (Tables), queues its URLs by logical name.
func Grants(t testing.TB, function string, tables, queues map[string]string) func(*middleware.Stack) error {
	t.Helper()
	f, ok := topology.Default().Function(function)
	if !ok {
		t.Fatalf("no function %q in the topology", function)
	}
	g := &awsenv.Grants{Function: f.Name, Tables: map[string]topology.Access{}, Queues: map[string]topology.Access{}, Secrets: f.Secrets}
	for logical, access := range f.Tables {
		if name, ok := tables[logical]; ok {
			g.Tables[name] = access
		}
	}
	for logical, access := range f.Queues {
		if url, ok := queues[logical]; ok && access.Sends() {
			g.Queues[url] = access
		}
	}
	return g.Check()
}
