package act

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Defaults of act's configuration.
const (
	DefaultConnectionTTL = time.Minute
	DefaultGetTTL        = 5 * time.Minute
	DefaultRetention     = 30 * 24 * time.Hour
)

// URLVars names the variables that point each provider elsewhere than its documented
// API: the local stack and the tests only (the CDK stack never sets them).
var URLVars = map[string][2]string{
	"stripe":   {"WEDSYNC_STRIPE_API_URL", ""},
	"mandrill": {"WEDSYNC_MANDRILL_API_URL", ""},
	"calendly": {"WEDSYNC_CALENDLY_API_URL", "WEDSYNC_CALENDLY_TOKEN_URL"},
}

// Config is act's configuration.
type Config struct {
	Stage string
	// Endpoints are the providers' configured URLs by kind; empty means documented.
	Endpoints map[string]connectors.Endpoints
	// ConnectionTTL keeps a built connection (WEDSYNC_CONNECTION_CACHE_TTL); GetTTL keeps
	// GET answers (WEDSYNC_CONNECTOR_CACHE_TTL).
	ConnectionTTL, GetTTL, Retention time.Duration
}

// ConfigFromEnv reads WEDSYNC_STAGE, the URL variables, the cache lifetimes and
// WEDSYNC_RETENTION, naming every bad one at once.
func ConfigFromEnv() (Config, error) {
	var errs []error
	duration := func(name string, def time.Duration) time.Duration {
		d, err := awsenv.Duration(name, def)
		errs = append(errs, err)
		return d
	}
	c := Config{
		Stage:         os.Getenv("WEDSYNC_STAGE"),
		Endpoints:     map[string]connectors.Endpoints{},
		ConnectionTTL: duration("WEDSYNC_CONNECTION_CACHE_TTL", DefaultConnectionTTL),
		GetTTL:        duration("WEDSYNC_CONNECTOR_CACHE_TTL", DefaultGetTTL),
		Retention:     duration("WEDSYNC_RETENTION", DefaultRetention),
	}
	for kind, vars := range URLVars {
		c.Endpoints[kind] = connectors.Endpoints{BaseURL: os.Getenv(vars[0])}
		if vars[1] != "" {
			c.Endpoints[kind] = connectors.Endpoints{BaseURL: os.Getenv(vars[0]), TokenURL: os.Getenv(vars[1])}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Loopback says the stage may call loopback hosts: the local stack and the tests.
func (c Config) Loopback() bool { return c.Stage == secrets.StageLocal || c.Stage == secrets.StageTest }

// Providers resolves every provider for the stage.
func (c Config) Providers() (map[string]connectors.Provider, error) {
	out := map[string]connectors.Provider{}
	var errs []error
	for kind, p := range connectors.Providers() {
		resolved, err := connectors.Resolve(p, c.Endpoints[kind], c.Loopback())
		if err != nil {
			vars := URLVars[kind]
			errs = append(errs, fmt.Errorf("%s: %w", strings.Join(nonEmpty(vars[:]), " or "), err))
			continue
		}
		out[kind] = resolved
	}
	return out, errors.Join(errs...)
}

// Validate names every variable that is missing or points where the stage may not call.
func (c Config) Validate() error {
	var errs []error
	if c.Stage == "" {
		errs = append(errs, errors.New("missing environment variables: [WEDSYNC_STAGE]"))
	}
	if _, err := c.Providers(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// FromEnv builds the handler from the function's environment: its tables and the events
// queue (topology), WEDSYNC_STAGE, WEDSYNC_KMS_KEY_ID and the Config variables.
func FromEnv(ctx context.Context) (*Handler, error) {
	f, _ := topology.Default().Function("act")
	names := []string{topology.QueueEnv(topology.QueueEvents)}
	for t := range f.Tables {
		names = append(names, topology.TableEnv(t))
	}
	env, err := awsenv.Require(names...)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	providers, err := cfg.Providers()
	if err != nil {
		return nil, err
	}
	aws, sealer, err := awsenv.LoadWithSealer(ctx, cfg.Stage)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(aws)
	table := func(t string) string { return env[topology.TableEnv(t)] }
	events := &store.Events{DB: db, Table: table(topology.TableEvents)}
	q := &queue.Events{SQS: awsenv.SQS(aws), URL: env[topology.QueueEnv(topology.QueueEvents)]}
	clients := &Clients{
		Credentials: &store.Credentials{DB: db, Table: table(topology.TableCredentials)},
		Connections: &store.Connections{DB: db, Table: table(topology.TableConnections)},
		Sealer:      sealer, Buckets: &store.Buckets{DB: db, Table: table(topology.TableRateLimits)},
		Providers: providers, Loopback: cfg.Loopback(), TTL: cfg.ConnectionTTL, GetTTL: cfg.GetTTL, Clock: connectors.SystemClock{},
	}
	return &Handler{
		Events: events, Queue: q, Actions: &store.Actions{DB: db, Table: table(topology.TableActionRecords)},
		Connections: clients, Runners: DefaultRunners(clients, events, q, time.Now, cfg.Retention),
		Now: time.Now, Retention: cfg.Retention,
		Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "act"),
	}, nil
}
