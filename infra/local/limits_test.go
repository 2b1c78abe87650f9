package local_test

import (
	"strings"
	"testing"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/topology"
)

// lastValues is an environment as a process sees it: the last value of each name wins.
func lastValues(env []string) map[string]string {
	out := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// TestLocalStackSetsTenantLimits: the local api runs with the tenants' limits at their
// defaults, which the developer's WEDSYNC_QUOTA_* / WEDSYNC_RATE_* override; ingest
// functions get none.
func TestLocalStackSetsTenantLimits(t *testing.T) {
	spec := topology.Default()
	st := local.State{Tables: map[string]string{}, Queues: map[string]string{}}
	for _, name := range spec.Tables {
		st.Tables[name] = "t-" + name
	}
	for _, q := range spec.Queues {
		st.Queues[q.Name] = "http://127.0.0.1:9/q/" + q.Name
	}
	apiFn, _ := spec.Function("api")
	env, err := local.FunctionEnv(apiFn, st, []string{"WEDSYNC_QUOTA_CONNECTIONS=3"})
	if err != nil {
		t.Fatal(err)
	}
	got := lastValues(env)
	for k, v := range api.DefaultLimits.Env() {
		if k == "WEDSYNC_QUOTA_CONNECTIONS" {
			v = "3"
		}
		if got[k] != v {
			t.Errorf("local api %s = %q, want %q", k, got[k], v)
		}
	}
	stripe, _ := spec.Function("ingest-stripe")
	env, err = local.FunctionEnv(stripe, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := range lastValues(env) {
		if strings.HasPrefix(k, "WEDSYNC_QUOTA_") || strings.HasPrefix(k, "WEDSYNC_RATE_") {
			t.Errorf("local ingest-stripe has %s", k)
		}
	}
}
