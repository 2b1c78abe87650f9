package stack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/act"
)

// TestProviderURLsAreNeverSet: the deployed act calls only the providers' documented API
// hosts, so the stack sets none of the variables that point it elsewhere (they exist for
// the local stack and the tests), and only act holds the commands queue's consumer.
func TestProviderURLsAreNeverSet(t *testing.T) {
	built, _, doc := defaultStack(t)
	raw, _ := json.Marshal(doc)
	vars := []string{"WEDSYNC_STRIPE_MOCK_ENDPOINT", "stripe-mock"}
	for _, pair := range act.URLVars {
		for _, v := range pair {
			if v != "" {
				vars = append(vars, v)
			}
		}
	}
	for _, v := range vars {
		if strings.Contains(string(raw), v) {
			t.Errorf("the stack sets %s", v)
		}
	}
	if _, ok := built.Functions["act"]; !ok {
		t.Fatal("the stack has no act function")
	}
	if _, ok := built.DLQs["commands"]; !ok {
		t.Fatal("the commands queue has no DLQ")
	}
}
