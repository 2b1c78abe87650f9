package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wedsync/webhooks/infra/loadtest"
	"github.com/wedsync/webhooks/shared/awsenv"
)

// load runs make load and make chaos: every knob comes from a flag the Makefile pins.
func load(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	k := loadtest.Knobs{}
	fs.StringVar(&k.Profile, "profile", "load", "the run's name (load, chaos)")
	fs.IntVar(&k.N, "n", 1000, "signed ingest requests to send")
	fs.Float64Var(&k.Rate, "rate", 20, "requests per second")
	fs.IntVar(&k.InFlight, "inflight", 32, "requests under way at most")
	subscribers := fs.String("subscribers", "all=*", "subscribers: name=type,type[:fail=0.2][:delay=5s][:dead];…")
	fs.Float64Var(&k.RetryScale, "retry-scale", 0.0002, "WEDSYNC_RETRY_SCALE: the retry schedule, probe interval and disable delay multiplied by it")
	pools := fs.String("pools", "ingest=2,api=1,process=3,deliver=4,scheduler=1", "RIE processes per function (ingest: every ingest function)")
	fs.DurationVar(&k.Visibility, "visibility", 30*time.Second, "queue visibility timeout")
	fs.DurationVar(&k.ScheduleEvery, "schedule-every", 10*time.Second, "scheduler tick")
	fs.DurationVar(&k.DeliveryTimeout, "delivery-timeout", 15*time.Second, "WEDSYNC_DELIVERY_TIMEOUT")
	fs.DurationVar(&k.Cap, "cap", 10*time.Minute, "wall-time cap of sending and draining")
	faults := fs.String("faults", "", "WEDSYNC_FAULTS, e.g. sqs.send=0.05,dynamodb.throttle=0.05,seed=1")
	kills := fs.String("kills", "", "runtimes to kill mid-batch, e.g. process=3,deliver=3")
	fs.Uint64Var(&k.Seed, "seed", 1, "seed of the subscribers' failures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	var errs []error
	if k.Subscribers, err = loadtest.ParseSubscribers(*subscribers); err != nil {
		errs = append(errs, err)
	}
	if k.Pools, err = loadtest.ParseCounts(*pools); err != nil {
		errs = append(errs, err)
	}
	if k.Kills, err = loadtest.ParseCounts(*kills); err != nil {
		errs = append(errs, err)
	}
	if k.Faults, err = awsenv.ParseFaults(*faults); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r, err := loadtest.Run(ctx, root, k, os.Stdout)
	if err != nil {
		return err
	}
	if f := r.Failures(); len(f) > 0 {
		return fmt.Errorf("make %s failed: %s", k.Profile, strings.Join(f, "; "))
	}
	return nil
}
