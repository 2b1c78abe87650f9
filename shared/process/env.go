package process

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/commands"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/reactions"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// DefaultRetention is how long delivery records are kept.
const DefaultRetention = 30 * 24 * time.Hour

// FromEnv builds the handler from the function's environment: the events, subscriptions,
// deliveries and credentials tables and the events, deliveries and commands queues;
// optionally WEDSYNC_RETENTION and WEDSYNC_CONNECTION_CACHE_TTL. Its steps run reactions
// first, then fan-out, then route commands to act.
func FromEnv(ctx context.Context) (*Handler, error) {
	env, err := awsenv.Require(topology.TableEnv(topology.TableEvents), topology.TableEnv(topology.TableSubscriptions),
		topology.TableEnv(topology.TableDeliveries), topology.QueueEnv(topology.QueueDeliveries), topology.QueueEnv(topology.QueueEvents),
		topology.TableEnv(topology.TableCredentials), topology.QueueEnv(topology.QueueCommands))
	if err != nil {
		return nil, err
	}
	retention, err := awsenv.Duration("WEDSYNC_RETENTION", DefaultRetention)
	if err != nil {
		return nil, err
	}
	credentialsTTL, err := awsenv.Duration("WEDSYNC_CONNECTION_CACHE_TTL", time.Minute)
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	db, sq := awsenv.DynamoDB(cfg), awsenv.SQS(cfg)
	events := &store.Events{DB: db, Table: env[topology.TableEnv(topology.TableEvents)]}
	return &Handler{
		Events: events,
		Steps: []Step{&reactions.Step{
			Events: events, Queue: &queue.Events{SQS: sq, URL: env[topology.QueueEnv(topology.QueueEvents)]},
			Now: time.Now, Retention: retention,
		}, &delivery.Fanout{
			Subscriptions: &store.Subscriptions{DB: db, Table: env[topology.TableEnv(topology.TableSubscriptions)]},
			Deliveries:    &store.Deliveries{DB: db, Table: env[topology.TableEnv(topology.TableDeliveries)]},
			Queue:         &queue.Deliveries{SQS: sq, URL: env[topology.QueueEnv(topology.QueueDeliveries)]},
			Now:           time.Now,
			Retention:     retention,
		}, &commands.Route{
			Kinds: &commands.Kinds{Store: &store.Credentials{DB: db, Table: env[topology.TableEnv(topology.TableCredentials)]},
				TTL: credentialsTTL, Now: time.Now},
			Queue: &queue.Events{SQS: sq, URL: env[topology.QueueEnv(topology.QueueCommands)]},
		}},
		Now:    time.Now,
		Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("function", "process"),
	}, nil
}
