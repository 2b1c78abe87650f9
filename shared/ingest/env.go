package ingest

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/lambdalog"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// DefaultCacheTTL is how long a warm function trusts a cached connection.
const DefaultCacheTTL = time.Minute

// DefaultRetention is how long events are kept.
const DefaultRetention = 30 * 24 * time.Hour

// Config is an ingest function's configuration.
type Config struct {
	// Function is the topology's ingest-<kind>.
	Function string
	AWS      awsenv.Settings
	// Resources are the connections and events tables and the events queue.
	Resources config.Resources
	// CacheTTL is WEDSYNC_CONNECTION_CACHE_TTL; Retention is WEDSYNC_RETENTION.
	CacheTTL, Retention time.Duration
	// PayPalCertHosts (WEDSYNC_PAYPAL_CERT_HOSTS) and PayPalCAPEM (WEDSYNC_PAYPAL_CA_PEM)
	// replace PayPal's certificate hosts and roots in the local stack; read for PayPal only.
	PayPalCertHosts, PayPalCAPEM string

	problems error
}

// ErrNoFunction means the topology has no ingest function of the kind.
var ErrNoFunction = errors.New("no such ingest function in the topology")

// ReadConfig reads the configuration of the ingest function of kind through getenv.
func ReadConfig(getenv func(string) string, kind string) Config {
	f, ok := topology.Default().Function("ingest-" + kind)
	if !ok {
		return Config{Function: "ingest-" + kind, problems: ErrNoFunction}
	}
	v := config.Read(getenv)
	c := Config{
		Function:  f.Name,
		AWS:       awsenv.ReadSettings(v, f),
		Resources: v.Resources(f),
		CacheTTL:  v.Duration("WEDSYNC_CONNECTION_CACHE_TTL", DefaultCacheTTL),
		Retention: v.PositiveDuration("WEDSYNC_RETENTION", DefaultRetention),
	}
	if kind == "paypal" {
		c.PayPalCertHosts, c.PayPalCAPEM = v.String("WEDSYNC_PAYPAL_CERT_HOSTS"), v.String("WEDSYNC_PAYPAL_CA_PEM")
	}
	c.problems = v.Err()
	return c
}

// Validate names every missing or malformed variable.
func (c Config) Validate() error { return c.problems }

// LoadConfig reads and validates the configuration.
func LoadConfig(getenv func(string) string, kind string) (Config, error) {
	c := ReadConfig(getenv, kind)
	return c, c.Validate()
}

// New builds the handler of provider from a validated configuration.
func New(ctx context.Context, c Config, provider inbound.Provider) (*Handler, error) {
	cfg, sealer, err := awsenv.LoadWithSealer(ctx, c.AWS)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg)
	return &Handler{
		Provider: provider,
		Connections: &ConnectionCache{
			Store:  &store.Connections{DB: db, Table: c.Resources.Table(topology.TableConnections)},
			Sealer: sealer,
			TTL:    c.CacheTTL,
			Now:    time.Now,
		},
		Events:    &store.Events{DB: db, Table: c.Resources.Table(topology.TableEvents)},
		Queue:     &queue.Events{SQS: awsenv.SQS(cfg), URL: c.Resources.Queue(topology.QueueEvents)},
		Now:       time.Now,
		Retention: c.Retention,
		Logger:    lambdalog.New(c.Function),
		Metrics:   &metrics.Recorder{W: os.Stdout},
	}, nil
}

// FromEnv builds the handler of provider from the variables getenv reads (os.Getenv in the
// function's main): the topology's resource variables of ingest-<kind>, the AWS settings,
// and optionally WEDSYNC_CONNECTION_CACHE_TTL and WEDSYNC_RETENTION.
func FromEnv(ctx context.Context, getenv func(string) string, provider inbound.Provider) (*Handler, error) {
	c, err := LoadConfig(getenv, provider.Kind())
	if err != nil {
		return nil, err
	}
	return New(ctx, c, provider)
}
