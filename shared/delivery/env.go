package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/ssrf"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Scale reads WEDSYNC_RETRY_SCALE (default 1).
func Scale() (float64, error) {
	v := os.Getenv("WEDSYNC_RETRY_SCALE")
	if v == "" {
		return 1, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("WEDSYNC_RETRY_SCALE=%q is not a positive number", v)
	}
	return f, nil
}

// DeliverFromEnv builds the deliver function from its environment: the tables and queues
// the topology gives it, WEDSYNC_STAGE, WEDSYNC_KMS_KEY_ID, and optionally
// WEDSYNC_RETRY_SCALE, WEDSYNC_DELIVERY_TIMEOUT, WEDSYNC_ENDPOINT_CONCURRENCY,
// WEDSYNC_SECRET_CACHE_TTL (0 opens the secrets for every delivery) and
// WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS (the local stack only).
func DeliverFromEnv(ctx context.Context) (*Deliver, error) {
	f, _ := topology.Default().Function("deliver")
	env, err := requireFor(f, "WEDSYNC_STAGE")
	if err != nil {
		return nil, err
	}
	scale, err := Scale()
	if err != nil {
		return nil, err
	}
	timeout, err := awsenv.Duration("WEDSYNC_DELIVERY_TIMEOUT", DefaultTimeout)
	if err != nil {
		return nil, err
	}
	concurrency, err := intEnv("WEDSYNC_ENDPOINT_CONCURRENCY", DefaultEndpointConcurrency)
	if err != nil {
		return nil, err
	}
	secretTTL, err := awsenv.Duration("WEDSYNC_SECRET_CACHE_TTL", DefaultSecretCacheTTL)
	if err != nil {
		return nil, err
	}
	allowLoopback, err := awsenv.AllowLoopback(env["WEDSYNC_STAGE"])
	if err != nil {
		return nil, err
	}
	cfg, sealer, err := awsenv.LoadWithSealer(ctx, env["WEDSYNC_STAGE"])
	if err != nil {
		return nil, err
	}
	db, sq := awsenv.DynamoDB(cfg), awsenv.SQS(cfg)
	return &Deliver{
		Deliveries:          &store.Deliveries{DB: db, Table: env[topology.TableEnv(topology.TableDeliveries)]},
		Subscriptions:       &store.Subscriptions{DB: db, Table: env[topology.TableEnv(topology.TableSubscriptions)]},
		Events:              &store.Events{DB: db, Table: env[topology.TableEnv(topology.TableEvents)]},
		EventsQueue:         &queue.Events{SQS: sq, URL: env[topology.QueueEnv(topology.QueueEvents)]},
		Queue:               &queue.Deliveries{SQS: sq, URL: env[topology.QueueEnv(topology.QueueDeliveries)]},
		RateLimits:          &store.RateLimits{DB: db, Table: env[topology.TableEnv(topology.TableRateLimits)]},
		Sealer:              sealer,
		Client:              ssrf.NewGuard(allowLoopback).Client(timeout),
		Now:                 time.Now,
		Scale:               scale,
		Timeout:             timeout,
		AllowLoopback:       allowLoopback,
		EndpointConcurrency: concurrency,
		SecretCacheTTL:      cacheTTL(secretTTL),
		Rand:                rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid()))),
		Logger:              slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "deliver"),
		Metrics:             &metrics.Recorder{W: os.Stdout},
	}, nil
}

// SchedulerFromEnv builds the scheduler function from its environment.
func SchedulerFromEnv(ctx context.Context) (*Scheduler, error) {
	f, _ := topology.Default().Function("scheduler")
	env, err := requireFor(f)
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	db, sq := awsenv.DynamoDB(cfg), awsenv.SQS(cfg)
	return &Scheduler{
		Events:          &store.Events{DB: db, Table: env[topology.TableEnv(topology.TableEvents)]},
		EventsQueue:     &queue.Events{SQS: sq, URL: env[topology.QueueEnv(topology.QueueEvents)]},
		Deliveries:      &store.Deliveries{DB: db, Table: env[topology.TableEnv(topology.TableDeliveries)]},
		DeliveriesQueue: &queue.Deliveries{SQS: sq, URL: env[topology.QueueEnv(topology.QueueDeliveries)]},
		Backlog:         &queue.Backlog{SQS: sq, URL: env[topology.QueueEnv(topology.QueueDeliveries)]},
		Now:             time.Now,
		Logger:          slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "scheduler"),
	}, nil
}

// requireFor reads the resource variables of f (its tables and the queues it sends to)
// and extra ones.
func requireFor(f topology.Function, extra ...string) (map[string]string, error) {
	names := extra
	for t := range f.Tables {
		names = append(names, topology.TableEnv(t))
	}
	for q, access := range f.Queues {
		if access.Sends() {
			names = append(names, topology.QueueEnv(q))
		}
	}
	return awsenv.Require(names...)
}

func intEnv(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 1 {
		return 0, fmt.Errorf("%s=%q is not a positive number", name, v)
	}
	return i, nil
}

// cacheTTL maps a configured lifetime, where 0 means no caching, to SecretCacheTTL's terms.
func cacheTTL(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
