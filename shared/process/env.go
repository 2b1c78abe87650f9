package process

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/store"
)

// FromEnv builds the handler from the function's environment: WEDSYNC_EVENTS_TABLE.
func FromEnv(ctx context.Context) (*Handler, error) {
	env, err := awsenv.Require("WEDSYNC_EVENTS_TABLE")
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	return &Handler{
		Events: &store.Events{DB: awsenv.DynamoDB(cfg), Table: env["WEDSYNC_EVENTS_TABLE"]},
		Now:    time.Now,
		Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "process"),
	}, nil
}
