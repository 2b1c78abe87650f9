package api

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// FromEnv builds the API from the function's environment: the tables' names, WEDSYNC_STAGE,
// WEDSYNC_KMS_KEY_ID, WEDSYNC_CURSOR_SECRET, and optionally WEDSYNC_PUBLIC_URL and
// WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS (the local stack only).
func FromEnv(ctx context.Context) (*Server, error) {
	tables := []string{topology.TableAPIKeys, topology.TableConnections, topology.TableSubscriptions, topology.TableEvents,
		topology.TableIdempotencyKeys, topology.TableDeliveries, topology.TableRateLimits, topology.TableCredentials}
	names := []string{"WEDSYNC_STAGE", "WEDSYNC_CURSOR_SECRET", topology.QueueEnv(topology.QueueDeliveries)}
	for _, t := range tables {
		names = append(names, topology.TableEnv(t))
	}
	env, err := awsenv.Require(names...)
	if err != nil {
		return nil, err
	}
	if len(env["WEDSYNC_CURSOR_SECRET"]) < 32 {
		return nil, errors.New("WEDSYNC_CURSOR_SECRET must be at least 32 characters")
	}
	allowLoopback, err := awsenv.AllowLoopback(env["WEDSYNC_STAGE"])
	if err != nil {
		return nil, err
	}
	cfg, sealer, err := awsenv.LoadWithSealer(ctx, env["WEDSYNC_STAGE"])
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg)
	table := func(t string) string { return env[topology.TableEnv(t)] }
	events := &store.Events{DB: db, Table: table(topology.TableEvents)}
	deliveries := &store.Deliveries{DB: db, Table: table(topology.TableDeliveries)}
	return (&Server{
		Keys:          &store.APIKeys{DB: db, Table: table(topology.TableAPIKeys)},
		Connections:   &store.Connections{DB: db, Table: table(topology.TableConnections)},
		Subscriptions: &store.Subscriptions{DB: db, Table: table(topology.TableSubscriptions)},
		Events:        events,
		Idempotency:   &store.IdempotencyKeys{DB: db, Table: table(topology.TableIdempotencyKeys)},
		Deliveries:    deliveries,
		Credentials:   &store.Credentials{DB: db, Table: table(topology.TableCredentials)},
		Tester: &delivery.Tester{Events: events, Deliveries: deliveries, Now: time.Now, Retention: 30 * 24 * time.Hour,
			Queue: &queue.Deliveries{SQS: awsenv.SQS(cfg), URL: env[topology.QueueEnv(topology.QueueDeliveries)]}},
		Sealer:                 sealer,
		Cursors:                Cursors{Key: []byte(env["WEDSYNC_CURSOR_SECRET"])},
		PublicURL:              os.Getenv("WEDSYNC_PUBLIC_URL"),
		AllowLoopbackEndpoints: allowLoopback,
		Now:                    time.Now,
		Random:                 rand.Reader,
		Logger:                 slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "api"),
	}).Build(), nil
}
