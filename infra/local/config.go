package local

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/topology"
)

// DefaultAddr is where the router listens unless WEDSYNC_DEV_ADDR says otherwise.
const DefaultAddr = "127.0.0.1:3000"

// Config is how to run a stack.
type Config struct {
	// Root is the repository root; StateDir defaults to Root/.dev.
	Root     string
	StateDir string
	// Addr is the router's listen address ("127.0.0.1:0" picks a free port).
	Addr string
	// PoolSize is how many RIE processes run each function; PoolSizes overrides it per function.
	PoolSize  int
	PoolSizes map[string]int
	// Visibility overrides the queues' visibility timeout when positive.
	Visibility time.Duration
	// DynamoDB, SQS and KMS name running emulators to use instead of starting them;
	// StripeMock a running stripe-mock.
	DynamoDB, SQS, KMS, StripeMock string
	// NamePrefix prefixes table and queue names.
	NamePrefix string
	Tenant     string
	// APIKey is the dev tenant's API key; generated (and kept) when empty.
	APIKey string
	// Secrets are the seeded connections' secrets by kind; generated (and kept) when absent.
	Secrets map[string]string
	// ScheduleEvery overrides every schedule's rate when positive.
	ScheduleEvery time.Duration
	// Env is added to every function's environment (WEDSYNC_RETRY_SCALE, …).
	Env []string
	// Observe, when set, is told of every invocation of every function (queue wait, run time).
	Observe func(Invocation)
	Logs    io.Writer
	Verbose bool
	Spec    topology.Spec
}

// ConfigFromEnv reads the stack's settings from the environment: WEDSYNC_DEV_ADDR,
// WEDSYNC_DEV_API_KEY, WEDSYNC_DEV_SECRET_<KIND>, WEDSYNC_DEV_VISIBILITY_SECONDS,
// WEDSYNC_DEV_POOL_SIZE, WEDSYNC_DEV_VERBOSE and WEDSYNC_{DYNAMODB,SQS,KMS,STRIPE_MOCK}_ENDPOINT.
func ConfigFromEnv(root string) (Config, error) {
	cfg := Config{
		Root:     root,
		StateDir: filepath.Join(root, ".dev"),
		Addr:     os.Getenv("WEDSYNC_DEV_ADDR"),
		APIKey:   os.Getenv("WEDSYNC_DEV_API_KEY"),
		DynamoDB: os.Getenv("WEDSYNC_DYNAMODB_ENDPOINT"),
		SQS:      os.Getenv("WEDSYNC_SQS_ENDPOINT"),
		KMS:      os.Getenv("WEDSYNC_KMS_ENDPOINT"),
		Secrets:  map[string]string{},
		Logs:     os.Stdout,
		Verbose:  os.Getenv("WEDSYNC_DEV_VERBOSE") == "true",
		Spec:     topology.Default(),
	}
	cfg.StripeMock = os.Getenv("WEDSYNC_STRIPE_MOCK_ENDPOINT")
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if kind, ok := strings.CutPrefix(k, "WEDSYNC_DEV_SECRET_"); ok && v != "" {
			cfg.Secrets[strings.ToLower(kind)] = v
		}
		if strings.HasPrefix(k, "WEDSYNC_") && !strings.HasPrefix(k, "WEDSYNC_DEV_") && !strings.HasPrefix(k, "WEDSYNC_TEST_") && !strings.HasSuffix(k, "_ENDPOINT") {
			cfg.Env = append(cfg.Env, kv)
		}
	}
	if v := os.Getenv("WEDSYNC_DEV_VISIBILITY_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Config{}, fmt.Errorf("WEDSYNC_DEV_VISIBILITY_SECONDS=%q is not a number of seconds", v)
		}
		cfg.Visibility = time.Duration(n) * time.Second
	}
	if v := os.Getenv("WEDSYNC_DEV_POOL_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("WEDSYNC_DEV_POOL_SIZE=%q is not a positive number", v)
		}
		cfg.PoolSize = n
	}
	return cfg, nil
}

// poolSize is how many RIE processes run function.
func (c *Config) poolSize(function string) int {
	if n := c.PoolSizes[function]; n > 0 {
		return n
	}
	return c.PoolSize
}

func (c *Config) defaults() {
	if c.StateDir == "" {
		c.StateDir = filepath.Join(c.Root, ".dev")
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.PoolSize == 0 {
		c.PoolSize = 2
	}
	if c.NamePrefix == "" {
		c.NamePrefix = "wedsync-dev"
	}
	if c.Tenant == "" {
		c.Tenant = "dev"
	}
	if c.Logs == nil {
		c.Logs = io.Discard
	}
	if c.Secrets == nil {
		c.Secrets = map[string]string{}
	}
	if c.Spec.Functions == nil {
		c.Spec = topology.Default()
	}
}
