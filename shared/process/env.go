package process

import (
	"context"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/commands"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/lambdalog"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/reactions"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// DefaultRetention is how long delivery records are kept.
const DefaultRetention = 30 * 24 * time.Hour

// Config is the process function's configuration.
type Config struct {
	AWS awsenv.Settings
	// Resources are its tables and the queues it sends to (topology).
	Resources config.Resources
	// Retention is WEDSYNC_RETENTION; CredentialsTTL is WEDSYNC_CONNECTION_CACHE_TTL.
	Retention, CredentialsTTL time.Duration

	problems error
}

// ReadConfig reads the configuration through getenv.
func ReadConfig(getenv func(string) string) Config {
	f := config.Function("process")
	v := config.Read(getenv)
	c := Config{
		AWS:            awsenv.ReadSettings(v, f),
		Resources:      v.Resources(f),
		Retention:      v.PositiveDuration("WEDSYNC_RETENTION", DefaultRetention),
		CredentialsTTL: v.Duration("WEDSYNC_CONNECTION_CACHE_TTL", time.Minute),
	}
	c.problems = v.Err()
	return c
}

// Validate names every missing or malformed variable.
func (c Config) Validate() error { return c.problems }

// FromEnv builds the handler from the variables getenv reads (os.Getenv in the function's
// main): the events, subscriptions and credentials tables and the deliveries
// and commands queues; optionally WEDSYNC_RETENTION and WEDSYNC_CONNECTION_CACHE_TTL. Its
// steps run reactions first (each child processed inline: its fan-out and its routing to
// act), then fan-out, then route commands to act.
func FromEnv(ctx context.Context, getenv func(string) string) (*Handler, error) {
	c := ReadConfig(getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return New(ctx, c)
}

// New builds the handler from a validated configuration.
func New(ctx context.Context, c Config) (*Handler, error) {
	cfg, err := awsenv.Load(ctx, c.AWS)
	if err != nil {
		return nil, err
	}
	r := c.Resources
	db, sq := awsenv.DynamoDB(cfg), awsenv.SQS(cfg)
	events := &store.Events{DB: db, Table: r.Table(topology.TableEvents)}
	fanout := &delivery.Fanout{
		Subscriptions: &store.Subscriptions{DB: db, Table: r.Table(topology.TableSubscriptions)},
		Queue:         &queue.Deliveries{SQS: sq, URL: r.Queue(topology.QueueDeliveries)},
		Now:           time.Now,
		Retention:     c.Retention,
	}
	route := &commands.Route{
		Kinds: &commands.Kinds{Store: &store.Credentials{DB: db, Table: r.Table(topology.TableCredentials)},
			TTL: c.CredentialsTTL, Now: time.Now},
		Queue: &queue.Events{SQS: sq, URL: r.Queue(topology.QueueCommands)},
	}
	return &Handler{
		Events: events,
		Steps: []Step{&reactions.Step{
			Events: events, Then: []reactions.ChildStep{fanout, route}, Now: time.Now, Retention: c.Retention,
		}, fanout, route},
		Now:         time.Now,
		Logger:      lambdalog.New("process"),
		MaxReceives: topology.Default().MaxReceives(topology.QueueEvents),
	}, nil
}
