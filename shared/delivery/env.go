package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/lambdalog"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// TimeoutMargin is how much of the deliver function's own timeout an attempt's timeout
// leaves for recording the outcome.
const TimeoutMargin = 5 * time.Second

// DeliverConfig is the deliver function's configuration.
type DeliverConfig struct {
	AWS awsenv.Settings
	// Resources are its tables and the queues it sends to (topology).
	Resources config.Resources
	// Scale is WEDSYNC_RETRY_SCALE; Timeout is WEDSYNC_DELIVERY_TIMEOUT, at most the
	// function's timeout less TimeoutMargin; EndpointConcurrency is
	// WEDSYNC_ENDPOINT_CONCURRENCY; SecretCacheTTL is WEDSYNC_SECRET_CACHE_TTL (0 opens the
	// secrets for every delivery).
	Scale               float64
	Timeout             time.Duration
	EndpointConcurrency int
	SecretCacheTTL      time.Duration

	problems error
}

// ReadDeliverConfig reads the deliver function's configuration through getenv.
func ReadDeliverConfig(getenv func(string) string) DeliverConfig {
	f := config.Function("deliver")
	v := config.Read(getenv)
	c := DeliverConfig{
		AWS:                 awsenv.ReadSettings(v, f),
		Resources:           v.Resources(f),
		Scale:               v.PositiveFloat("WEDSYNC_RETRY_SCALE", 1),
		Timeout:             v.PositiveDuration("WEDSYNC_DELIVERY_TIMEOUT", DefaultTimeout),
		EndpointConcurrency: v.PositiveInt("WEDSYNC_ENDPOINT_CONCURRENCY", DefaultEndpointConcurrency),
		SecretCacheTTL:      v.Duration("WEDSYNC_SECRET_CACHE_TTL", DefaultSecretCacheTTL),
	}
	if limit := f.Timeout - TimeoutMargin; c.Timeout > limit {
		v.Problem("WEDSYNC_DELIVERY_TIMEOUT", config.ErrInvalid,
			fmt.Sprintf("at most %s (the function's timeout, %s, less %s)", limit, f.Timeout, TimeoutMargin))
	}
	c.problems = v.Err()
	return c
}

// Validate names every missing or malformed variable.
func (c DeliverConfig) Validate() error { return c.problems }

// DeliverFromEnv builds the deliver function from the variables getenv reads (os.Getenv in
// the function's main).
func DeliverFromEnv(ctx context.Context, getenv func(string) string) (*Deliver, error) {
	c := ReadDeliverConfig(getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return NewDeliver(ctx, c)
}

// NewDeliver builds the deliver function from a validated configuration.
func NewDeliver(ctx context.Context, c DeliverConfig) (*Deliver, error) {
	cfg, sealer, err := awsenv.LoadWithSealer(ctx, c.AWS)
	if err != nil {
		return nil, err
	}
	r := c.Resources
	db, sq := awsenv.DynamoDB(cfg), awsenv.SQS(cfg)
	client := ssrf.NewGuard(c.AWS.AllowLoopback).Client(c.Timeout)
	client.Transport = c.AWS.Tracer.Transport(client.Transport)
	return &Deliver{
		Deliveries:          &store.Deliveries{DB: db, Table: r.Table(topology.TableDeliveries)},
		Subscriptions:       &store.Subscriptions{DB: db, Table: r.Table(topology.TableSubscriptions)},
		Events:              &store.Events{DB: db, Table: r.Table(topology.TableEvents)},
		EventsQueue:         &queue.Events{SQS: sq, URL: r.Queue(topology.QueueEvents)},
		Queue:               &queue.Deliveries{SQS: sq, URL: r.Queue(topology.QueueDeliveries)},
		RateLimits:          &store.RateLimits{DB: db, Table: r.Table(topology.TableRateLimits)},
		Sealer:              sealer,
		Client:              client,
		Now:                 time.Now,
		Scale:               c.Scale,
		Timeout:             c.Timeout,
		AllowLoopback:       c.AWS.AllowLoopback,
		EndpointConcurrency: c.EndpointConcurrency,
		SecretCacheTTL:      cacheTTL(c.SecretCacheTTL),
		Rand:                rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid()))),
		Logger:              lambdalog.New("deliver"),
		Metrics:             &metrics.Recorder{W: os.Stdout},
	}, nil
}

// SchedulerConfig is the scheduler function's configuration.
type SchedulerConfig struct {
	AWS awsenv.Settings
	// Resources are its tables and the queues it sends to (topology).
	Resources config.Resources

	problems error
}

// ReadSchedulerConfig reads the scheduler's configuration through getenv.
func ReadSchedulerConfig(getenv func(string) string) SchedulerConfig {
	f := config.Function("scheduler")
	v := config.Read(getenv)
	c := SchedulerConfig{AWS: awsenv.ReadSettings(v, f), Resources: v.Resources(f)}
	c.problems = v.Err()
	return c
}

// Validate names every missing or malformed variable.
func (c SchedulerConfig) Validate() error { return c.problems }

// SchedulerFromEnv builds the scheduler function from the variables getenv reads.
func SchedulerFromEnv(ctx context.Context, getenv func(string) string) (*Scheduler, error) {
	c := ReadSchedulerConfig(getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx, c.AWS)
	if err != nil {
		return nil, err
	}
	r := c.Resources
	db, sq := awsenv.DynamoDB(cfg), awsenv.SQS(cfg)
	events := &store.Events{DB: db, Table: r.Table(topology.TableEvents)}
	return &Scheduler{
		Events:          events,
		Unqueued:        events,
		Tenants:         &store.Tenants{DB: db, Table: r.Table(topology.TableTenants)},
		EventsQueue:     &queue.Events{SQS: sq, URL: r.Queue(topology.QueueEvents)},
		Deliveries:      &store.Deliveries{DB: db, Table: r.Table(topology.TableDeliveries)},
		DeliveriesQueue: &queue.Deliveries{SQS: sq, URL: r.Queue(topology.QueueDeliveries)},
		Backlog:         &queue.Backlog{SQS: sq, URL: r.Queue(topology.QueueDeliveries)},
		Now:             time.Now,
		Logger:          lambdalog.New("scheduler"),
	}, nil
}

// cacheTTL maps a configured lifetime, where 0 means no caching, to SecretCacheTTL's terms.
func cacheTTL(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
