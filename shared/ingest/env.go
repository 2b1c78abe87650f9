package ingest

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
)

// DefaultCacheTTL is how long a warm function trusts a cached connection.
const DefaultCacheTTL = time.Minute

// DefaultRetention is how long events are kept.
const DefaultRetention = 30 * 24 * time.Hour

// FromEnv builds the handler of provider from the function's environment:
// WEDSYNC_CONNECTIONS_TABLE, WEDSYNC_EVENTS_TABLE, WEDSYNC_EVENTS_QUEUE_URL, WEDSYNC_STAGE,
// and optionally WEDSYNC_KMS_KEY_ID, WEDSYNC_CONNECTION_CACHE_TTL and WEDSYNC_RETENTION.
func FromEnv(ctx context.Context, provider inbound.Provider) (*Handler, error) {
	env, err := awsenv.Require("WEDSYNC_CONNECTIONS_TABLE", "WEDSYNC_EVENTS_TABLE", "WEDSYNC_EVENTS_QUEUE_URL", "WEDSYNC_STAGE")
	if err != nil {
		return nil, err
	}
	ttl, err := awsenv.Duration("WEDSYNC_CONNECTION_CACHE_TTL", DefaultCacheTTL)
	if err != nil {
		return nil, err
	}
	retention, err := awsenv.Duration("WEDSYNC_RETENTION", DefaultRetention)
	if err != nil {
		return nil, err
	}
	cfg, sealer, err := awsenv.LoadWithSealer(ctx, env["WEDSYNC_STAGE"])
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg)
	return &Handler{
		Provider: provider,
		Connections: &ConnectionCache{
			Store:  &store.Connections{DB: db, Table: env["WEDSYNC_CONNECTIONS_TABLE"]},
			Sealer: sealer,
			TTL:    ttl,
			Now:    time.Now,
		},
		Events:    &store.Events{DB: db, Table: env["WEDSYNC_EVENTS_TABLE"]},
		Queue:     &queue.Events{SQS: awsenv.SQS(cfg), URL: env["WEDSYNC_EVENTS_QUEUE_URL"]},
		Now:       time.Now,
		Retention: retention,
		Logger:    slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "ingest-"+provider.Kind()),
		Metrics:   &metrics.Recorder{W: os.Stdout},
	}, nil
}
