package act

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/jobs"
	"github.com/wedsync/webhooks/shared/lambdalog"
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
	AWS awsenv.Settings
	// Resources are its tables and the queues it sends to (topology).
	Resources config.Resources
	// Endpoints are the providers' configured URLs by kind; empty means documented.
	Endpoints map[string]connectors.Endpoints
	// ConnectionTTL keeps a built connection (WEDSYNC_CONNECTION_CACHE_TTL); GetTTL keeps
	// GET answers (WEDSYNC_CONNECTOR_CACHE_TTL).
	ConnectionTTL, GetTTL, Retention time.Duration

	problems error
}

// ReadConfig reads, through getenv, the AWS settings, act's resources, the URL variables,
// the cache lifetimes and WEDSYNC_RETENTION.
func ReadConfig(getenv func(string) string) Config {
	f := config.Function("act")
	v := config.Read(getenv)
	c := Config{
		AWS:           awsenv.ReadSettings(v, f),
		Resources:     v.Resources(f),
		Endpoints:     map[string]connectors.Endpoints{},
		ConnectionTTL: v.Duration("WEDSYNC_CONNECTION_CACHE_TTL", DefaultConnectionTTL),
		GetTTL:        v.Duration("WEDSYNC_CONNECTOR_CACHE_TTL", DefaultGetTTL),
		Retention:     v.PositiveDuration("WEDSYNC_RETENTION", DefaultRetention),
	}
	for kind, vars := range URLVars {
		c.Endpoints[kind] = connectors.Endpoints{BaseURL: v.String(vars[0])}
		if vars[1] != "" {
			c.Endpoints[kind] = connectors.Endpoints{BaseURL: v.String(vars[0]), TokenURL: v.String(vars[1])}
		}
	}
	if c.AWS.Stage != "" {
		for kind, err := range c.endpointErrors() {
			vars := URLVars[kind]
			for _, name := range nonEmpty(vars[:]) {
				v.Problem(name, fmt.Errorf("%w: %w", config.ErrInvalid, err), "")
			}
		}
	}
	c.problems = v.Err()
	return c
}

// Loopback says the stage may call loopback hosts: the local stack and the tests.
func (c Config) Loopback() bool {
	return c.AWS.Stage == secrets.StageLocal || c.AWS.Stage == secrets.StageTest
}

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

// endpointErrors is why each provider whose URLs the stage may not call cannot be resolved.
func (c Config) endpointErrors() map[string]error {
	out := map[string]error{}
	for kind, p := range connectors.Providers() {
		if _, err := connectors.Resolve(p, c.Endpoints[kind], c.Loopback()); err != nil {
			out[kind] = err
		}
	}
	return out
}

// Validate names every variable that is missing, malformed or points where the stage may
// not call.
func (c Config) Validate() error { return c.problems }

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// FromEnv builds the handler from the variables getenv reads (os.Getenv in the function's
// main): see ReadConfig.
func FromEnv(ctx context.Context, getenv func(string) string) (*Handler, error) {
	c := ReadConfig(getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return New(ctx, c)
}

// New builds the handler from a validated configuration.
func New(ctx context.Context, cfg Config) (*Handler, error) {
	providers, err := cfg.Providers()
	if err != nil {
		return nil, err
	}
	aws, sealer, err := awsenv.LoadWithSealer(ctx, cfg.AWS)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(aws)
	table := cfg.Resources.Table
	events := &store.Events{DB: db, Table: table(topology.TableEvents)}
	q := &queue.Events{SQS: awsenv.SQS(aws), URL: cfg.Resources.Queue(topology.QueueEvents)}
	var transport http.RoundTripper
	if cfg.AWS.Tracer != nil {
		transport = cfg.AWS.Tracer.Transport(connectors.NewTransport())
	}
	clients := &Clients{
		Transport:   transport,
		Credentials: &store.Credentials{DB: db, Table: table(topology.TableCredentials)},
		Connections: &store.Connections{DB: db, Table: table(topology.TableConnections)},
		Sealer:      sealer, Buckets: &store.Buckets{DB: db, Table: table(topology.TableRateLimits)},
		Providers: providers, Loopback: cfg.Loopback(), TTL: cfg.ConnectionTTL, GetTTL: cfg.GetTTL, Clock: connectors.SystemClock{},
	}
	logger := lambdalog.New("act")
	tables := map[string]string{}
	for _, t := range erase.TableNames() {
		tables[t] = table(t)
	}
	return &Handler{
		Events: events, Queue: q, Actions: &store.Actions{DB: db, Table: table(topology.TableActionRecords)},
		Connections: clients, Runners: DefaultRunners(clients, events, q, time.Now, cfg.Retention),
		Jobs: &jobs.Runner{
			Jobs: &store.Jobs{DB: db, Table: table(topology.TableJobs)}, Queue: awsenv.SQS(aws),
			URL: cfg.Resources.Queue(topology.QueueCommands), Sealer: sealer,
			Eraser: &erase.Eraser{DB: db, Tables: tables, Sealer: sealer, Now: time.Now}, Now: time.Now, Logger: logger,
		},
		Now: time.Now, Retention: cfg.Retention, MaxReceives: topology.Default().MaxReceives(topology.QueueCommands),
		Logger: logger,
	}, nil
}
