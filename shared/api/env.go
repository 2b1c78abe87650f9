package api

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// FromEnv builds the API from the function's environment: the tables' names, WEDSYNC_STAGE,
// WEDSYNC_KMS_KEY_ID, WEDSYNC_CURSOR_KEY_ID (the HMAC KMS key the cursor key is derived
// from, once, here), the limits (see Limits.Env; unset ones take DefaultLimits), and
// optionally WEDSYNC_PUBLIC_URL and, in the local stack only, WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS
// and WEDSYNC_CURSOR_SECRET in place of the cursor KMS key.
func FromEnv(ctx context.Context) (*Server, error) {
	tables := []string{topology.TableAPIKeys, topology.TableConnections, topology.TableSubscriptions, topology.TableEvents,
		topology.TableIdempotencyKeys, topology.TableDeliveries, topology.TableRateLimits, topology.TableCredentials}
	names := []string{"WEDSYNC_STAGE", topology.QueueEnv(topology.QueueDeliveries)}
	for _, t := range tables {
		names = append(names, topology.TableEnv(t))
	}
	env, err := awsenv.Require(names...)
	if err != nil {
		return nil, err
	}
	limits, err := LimitsFromEnv(os.Getenv)
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
	cursorKey, err := loadCursorKey(ctx, cfg, env["WEDSYNC_STAGE"])
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg)
	table := func(t string) string { return env[topology.TableEnv(t)] }
	events := &store.Events{DB: db, Table: table(topology.TableEvents)}
	deliveries := &store.Deliveries{DB: db, Table: table(topology.TableDeliveries)}
	counters := table(topology.TableRateLimits)
	return (&Server{
		Keys: &store.APIKeys{DB: db, Table: table(topology.TableAPIKeys)},
		Connections: &store.CountedConnections{Connections: &store.Connections{DB: db, Table: table(topology.TableConnections)},
			Tx: db, Quota: store.Quota{Counters: counters, Kind: "connections", Limit: limits.Connections}},
		Subscriptions: &store.CountedSubscriptions{Subscriptions: &store.Subscriptions{DB: db, Table: table(topology.TableSubscriptions)},
			Tx: db, Quota: store.Quota{Counters: counters, Kind: "subscriptions", Limit: limits.Subscriptions}},
		Events:      events,
		Idempotency: &store.IdempotencyKeys{DB: db, Table: table(topology.TableIdempotencyKeys)},
		Deliveries:  deliveries,
		Credentials: &store.Credentials{DB: db, Table: table(topology.TableCredentials)},
		Tester: &delivery.Tester{Events: events, Deliveries: deliveries, Now: time.Now, Retention: 30 * 24 * time.Hour,
			Queue: &queue.Deliveries{SQS: awsenv.SQS(cfg), URL: env[topology.QueueEnv(topology.QueueDeliveries)]}},
		RateLimits:             &store.RateLimits{DB: db, Table: counters},
		Limits:                 limits,
		Sealer:                 sealer,
		Cursors:                Cursors{Key: cursorKey},
		PublicURL:              os.Getenv("WEDSYNC_PUBLIC_URL"),
		AllowLoopbackEndpoints: allowLoopback,
		Now:                    time.Now,
		Random:                 rand.Reader,
		Logger:                 slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "api"),
	}).Build(), nil
}

// Errors of the cursor key's configuration.
var (
	// ErrNoCursorKey means neither WEDSYNC_CURSOR_KEY_ID nor, locally, WEDSYNC_CURSOR_SECRET is set.
	ErrNoCursorKey = errors.New("missing environment variable WEDSYNC_CURSOR_KEY_ID (the HMAC KMS key list cursors are signed with)")
	// ErrCursorSecretRefused means a plain cursor secret was given outside the local stack and tests.
	ErrCursorSecretRefused = errors.New("WEDSYNC_CURSOR_SECRET is allowed only in the local stack and tests; set WEDSYNC_CURSOR_KEY_ID")
	// ErrShortCursorSecret means the local stack's cursor secret is too short.
	ErrShortCursorSecret = errors.New("WEDSYNC_CURSOR_SECRET must be at least 32 characters")
)

// loadCursorKey is the key list cursors are signed with: derived from the KMS key
// WEDSYNC_CURSOR_KEY_ID, or, in the local stack and tests only, WEDSYNC_CURSOR_SECRET.
func loadCursorKey(ctx context.Context, cfg aws.Config, stage string) ([]byte, error) {
	if id := os.Getenv("WEDSYNC_CURSOR_KEY_ID"); id != "" {
		return CursorKeyFromKMS(ctx, awsenv.KMS(cfg), id)
	}
	secret := os.Getenv("WEDSYNC_CURSOR_SECRET")
	switch {
	case secret != "" && stage != secrets.StageLocal && stage != secrets.StageTest:
		return nil, ErrCursorSecretRefused
	case secret == "":
		return nil, ErrNoCursorKey
	case len(secret) < 32:
		return nil, ErrShortCursorSecret
	}
	return []byte(secret), nil
}
