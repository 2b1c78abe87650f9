package config_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/wedsync/webhooks/shared/act"
	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/topology"
)

// validate reads a function's configuration from env and validates it.
type validate func(env func(string) string) error

// functions are every function's configuration reader, by topology name.
func functions() map[string]validate {
	fns := map[string]validate{
		"api":       func(env func(string) string) error { return api.ReadConfig(env).Validate() },
		"act":       func(env func(string) string) error { return act.ReadConfig(env).Validate() },
		"process":   func(env func(string) string) error { return process.ReadConfig(env).Validate() },
		"deliver":   func(env func(string) string) error { return delivery.ReadDeliverConfig(env).Validate() },
		"scheduler": func(env func(string) string) error { return delivery.ReadSchedulerConfig(env).Validate() },
	}
	for _, f := range topology.Default().Functions {
		if kind, ok := cutIngest(f.Name); ok {
			fns[f.Name] = func(env func(string) string) error { return ingest.ReadConfig(env, kind).Validate() }
		}
	}
	return fns
}

func cutIngest(name string) (string, bool) {
	if len(name) > len("ingest-") && name[:len("ingest-")] == "ingest-" {
		return name[len("ingest-"):], true
	}
	return "", false
}

// goodEnv is a deployed function's environment: its resources from the topology, the stage,
// the KMS key and the cursor key.
func goodEnv(f topology.Function) map[string]string {
	env := map[string]string{"WEDSYNC_STAGE": "prod", "WEDSYNC_KMS_KEY_ID": "key-id", "WEDSYNC_CURSOR_KEY_ID": "cursor-key-id"}
	for _, name := range f.ResourceVars() {
		env[name] = "resource-of-" + name
	}
	return env
}

// TestEveryFunctionNamesEachBadVariable: for every function of the topology, its deployed
// environment validates; without any one of its resource variables or its stage, that
// variable is named as missing; malformed settings are each named; several problems are
// named in one error.
func TestEveryFunctionNamesEachBadVariable(t *testing.T) {
	t.Parallel()
	fns := functions()
	for _, f := range topology.Default().Functions {
		read, ok := fns[f.Name]
		if !ok {
			t.Errorf("function %s has no configuration reader in this test", f.Name)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			check := func(t *testing.T, env map[string]string, is error, want ...string) {
				t.Helper()
				err := read(func(k string) string { return env[k] })
				got := slices.Sorted(slices.Values(config.Names(err)))
				want = slices.Sorted(slices.Values(want))
				if !slices.Equal(got, want) || (is != nil && !errors.Is(err, is)) || (len(want) == 0 && err != nil) {
					t.Fatalf("named %v, want %v (errors.Is %v): %v", got, want, is, err)
				}
			}
			check(t, goodEnv(f), nil)
			for _, name := range append(f.ResourceVars(), "WEDSYNC_STAGE") {
				env := goodEnv(f)
				delete(env, name)
				check(t, env, config.ErrMissing, name)
			}
			malformed := map[string]string{"WEDSYNC_AWS_CALL_TIMEOUT": "3 seconds", "WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS": "yes"}
			for name, value := range malformed {
				env := goodEnv(f)
				env[name] = value
				check(t, env, config.ErrMalformed, name)
			}
			env := goodEnv(f)
			maps.Copy(env, malformed)
			delete(env, f.ResourceVars()[0])
			check(t, env, nil, append(slices.Collect(maps.Keys(malformed)), f.ResourceVars()[0])...)
		})
	}
}

// TestSettingsOfEachFunction: each function's own settings, malformed, are named.
func TestSettingsOfEachFunction(t *testing.T) {
	t.Parallel()
	fns := functions()
	for _, c := range []struct {
		fn, name, value string
		is              error
	}{
		{"ingest-stripe", "WEDSYNC_CONNECTION_CACHE_TTL", "a minute", config.ErrMalformed},
		{"ingest-stripe", "WEDSYNC_RETENTION", "30d", config.ErrMalformed},
		{"ingest-paypal", "WEDSYNC_RETENTION", "0s", config.ErrInvalid},
		{"process", "WEDSYNC_RETENTION", "-1h", config.ErrMalformed},
		{"process", "WEDSYNC_CONNECTION_CACHE_TTL", "x", config.ErrMalformed},
		{"deliver", "WEDSYNC_RETRY_SCALE", "0", config.ErrMalformed},
		{"deliver", "WEDSYNC_DELIVERY_TIMEOUT", "fast", config.ErrMalformed},
		{"deliver", "WEDSYNC_DELIVERY_TIMEOUT", "56s", config.ErrInvalid},
		{"deliver", "WEDSYNC_ENDPOINT_CONCURRENCY", "0", config.ErrMalformed},
		{"deliver", "WEDSYNC_SECRET_CACHE_TTL", "1 hour", config.ErrMalformed},
		{"api", "WEDSYNC_RETENTION", "forever", config.ErrMalformed},
		{"api", "WEDSYNC_QUOTA_SUBSCRIPTIONS", "0", config.ErrMalformed},
		{"api", "WEDSYNC_RATE_REPLAYS_PER_MINUTE", "many", config.ErrMalformed},
		{"api", "WEDSYNC_CURSOR_SECRET", "a-plain-secret-in-prod-0123456789abcdef", api.ErrCursorSecretRefused},
		{"act", "WEDSYNC_CONNECTOR_CACHE_TTL", "5 minutes", config.ErrMalformed},
		{"act", "WEDSYNC_STRIPE_API_URL", "http://127.0.0.1:1", config.ErrInvalid},
	} {
		t.Run(c.fn+"/"+c.name+"="+c.value, func(t *testing.T) {
			t.Parallel()
			f, _ := topology.Default().Function(c.fn)
			env := goodEnv(f)
			env[c.name] = c.value
			if c.name == "WEDSYNC_CURSOR_SECRET" {
				delete(env, "WEDSYNC_CURSOR_KEY_ID")
			}
			err := fns[c.fn](func(k string) string { return env[k] })
			if got := config.Names(err); !slices.Equal(got, []string{c.name}) || !errors.Is(err, c.is) {
				t.Fatalf("named %v, want [%s] (errors.Is %v): %v", got, c.name, c.is, err)
			}
		})
	}
}

// TestDeliveryTimeoutFitsTheFunction: WEDSYNC_DELIVERY_TIMEOUT may be at most the deliver
// function's timeout less 5 s.
func TestDeliveryTimeoutFitsTheFunction(t *testing.T) {
	t.Parallel()
	f, _ := topology.Default().Function("deliver")
	limit := f.Timeout - delivery.TimeoutMargin
	for d, ok := range map[string]bool{limit.String(): true, (limit + 1).String(): false, "15s": true} {
		env := goodEnv(f)
		env["WEDSYNC_DELIVERY_TIMEOUT"] = d
		c := delivery.ReadDeliverConfig(func(k string) string { return env[k] })
		if err := c.Validate(); (err == nil) != ok {
			t.Errorf("WEDSYNC_DELIVERY_TIMEOUT=%s with a %s function: %v", d, f.Timeout, err)
		}
	}
}

// TestRetentionReachesTheAPI: the api function's test events are kept for WEDSYNC_RETENTION,
// not a fixed 30 days.
func TestRetentionReachesTheAPI(t *testing.T) {
	t.Parallel()
	f, _ := topology.Default().Function("api")
	env := goodEnv(f)
	env["WEDSYNC_RETENTION"] = "96h"
	c := api.ReadConfig(func(k string) string { return env[k] })
	if err := c.Validate(); err != nil || c.Retention.Hours() != 96 {
		t.Fatalf("retention %v, %v", c.Retention, err)
	}
}
