package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/jobs"
	"github.com/wedsync/webhooks/shared/lambdalog"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// DefaultRetention is how long test events and their deliveries are kept unless
// WEDSYNC_RETENTION says otherwise.
const DefaultRetention = 30 * 24 * time.Hour

// Config is the api function's configuration.
type Config struct {
	AWS awsenv.Settings
	// Resources are its tables and the deliveries queue (topology).
	Resources config.Resources
	Limits    Limits
	// Retention is WEDSYNC_RETENTION: how long test events are kept.
	Retention time.Duration
	// PublicURL is WEDSYNC_PUBLIC_URL, the base URL the OpenAPI document names.
	PublicURL string
	// CursorKeyID is WEDSYNC_CURSOR_KEY_ID, the HMAC KMS key list cursors are signed with;
	// CursorSecret (WEDSYNC_CURSOR_SECRET) replaces it in the local stack and tests.
	CursorKeyID, CursorSecret string

	problems error
}

// ReadConfig reads the configuration through getenv.
func ReadConfig(getenv func(string) string) Config {
	f := config.Function("api")
	v := config.Read(getenv)
	c := Config{
		AWS:          awsenv.ReadSettings(v, f),
		Resources:    v.Resources(f),
		Limits:       ReadLimits(v),
		Retention:    v.PositiveDuration("WEDSYNC_RETENTION", DefaultRetention),
		PublicURL:    v.String("WEDSYNC_PUBLIC_URL"),
		CursorKeyID:  v.String("WEDSYNC_CURSOR_KEY_ID"),
		CursorSecret: v.String("WEDSYNC_CURSOR_SECRET"),
	}
	if c.CursorKeyID == "" {
		local := c.AWS.Stage == secrets.StageLocal || c.AWS.Stage == secrets.StageTest
		switch {
		case c.CursorSecret != "" && !local:
			v.Problem("WEDSYNC_CURSOR_SECRET", fmt.Errorf("%w: %w", config.ErrInvalid, ErrCursorSecretRefused), "")
		case c.CursorSecret == "":
			v.Problem("WEDSYNC_CURSOR_KEY_ID", fmt.Errorf("%w: %w", config.ErrMissing, ErrNoCursorKey), "")
		case len(c.CursorSecret) < 32:
			v.Problem("WEDSYNC_CURSOR_SECRET", fmt.Errorf("%w: %w", config.ErrInvalid, ErrShortCursorSecret), "")
		}
	}
	c.problems = v.Err()
	return c
}

// Validate names every missing or malformed variable.
func (c Config) Validate() error { return c.problems }

// FromEnv builds the API from the variables getenv reads (os.Getenv in the function's main):
// the tables' names, WEDSYNC_STAGE, WEDSYNC_KMS_KEY_ID, WEDSYNC_CURSOR_KEY_ID (the HMAC KMS
// key the cursor key is derived from, once, here), the limits (see Limits.Env; unset ones
// take DefaultLimits), and optionally WEDSYNC_RETENTION, WEDSYNC_PUBLIC_URL and, in the local
// stack only, WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS and WEDSYNC_CURSOR_SECRET in place of the
// cursor KMS key.
func FromEnv(ctx context.Context, getenv func(string) string) (*Server, error) {
	c := ReadConfig(getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return New(ctx, c)
}

// New builds the API from a validated configuration.
func New(ctx context.Context, c Config) (*Server, error) {
	cfg, sealer, err := awsenv.LoadWithSealer(ctx, c.AWS)
	if err != nil {
		return nil, err
	}
	cursorKey := []byte(c.CursorSecret)
	if c.CursorKeyID != "" {
		if cursorKey, err = CursorKeyFromKMS(ctx, awsenv.KMS(cfg), c.CursorKeyID); err != nil {
			return nil, err
		}
	}
	db := awsenv.DynamoDB(cfg)
	table := c.Resources.Table
	events := &store.Events{DB: db, Table: table(topology.TableEvents)}
	deliveries := &store.Deliveries{DB: db, Table: table(topology.TableDeliveries)}
	counters := table(topology.TableRateLimits)
	limits := c.Limits
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
		Jobs: &jobs.Starter{Jobs: &store.Jobs{DB: db, Table: table(topology.TableJobs)}, Queue: awsenv.SQS(cfg),
			URL: c.Resources.Queue(topology.QueueCommands), Sealer: sealer, Now: time.Now},
		Tester: &delivery.Tester{Events: events, Deliveries: deliveries, Now: time.Now, Retention: c.Retention,
			Queue: &queue.Deliveries{SQS: awsenv.SQS(cfg), URL: c.Resources.Queue(topology.QueueDeliveries)}},
		RateLimits:             &store.RateLimits{DB: db, Table: counters},
		Limits:                 limits,
		Sealer:                 sealer,
		Cursors:                Cursors{Key: cursorKey},
		PublicURL:              c.PublicURL,
		AllowLoopbackEndpoints: c.AWS.AllowLoopback,
		Now:                    time.Now,
		Random:                 rand.Reader,
		Logger:                 lambdalog.New("api"),
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
