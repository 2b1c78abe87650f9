package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/infra/cost"
	"github.com/wedsync/webhooks/infra/loadtest"
)

// costRun runs make cost: the mix, the subscriber counts and the modes come from flags the
// Makefile pins.
func costRun(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	opts := cost.Options{Root: root}
	fs.IntVar(&opts.N, "n", 500, "signed ingest requests per scenario")
	mix := fs.String("mix", "stripe/payment_intent.succeeded", "samples sent round-robin: kind/sample,… or all")
	filters := fs.String("filters", strings.Join(cost.DefaultFilters, ","), "the event types every subscriber subscribes to")
	subs := fs.String("subscribers", "0,1,3", "subscriber counts, one scenario each")
	modes := fs.String("modes", "burst,steady", "burst (every request at once, 50 in flight) and/or steady (10/s)")
	pools := fs.String("pools", "", "RIE processes per function (default 2 each, as make dev)")
	fs.BoolVar(&opts.Proxy, "proxy", false, "count the same run with a proxy in front of the emulators and check the meter within 10 %")
	fs.DurationVar(&opts.Cap, "cap", 10*time.Minute, "wall-time cap of each scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	samples, err := loadtest.Samples(root)
	if err != nil {
		return err
	}
	var errs []error
	if opts.Mix, err = pickMix(samples, *mix); err != nil {
		errs = append(errs, err)
	}
	opts.Filters = strings.Split(*filters, ",")
	if opts.Pools, err = loadtest.ParseCounts(*pools); err != nil {
		errs = append(errs, err)
	}
	var counts []int
	for _, s := range strings.Split(*subs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("subscribers: %q is not a count", s))
			continue
		}
		counts = append(counts, n)
	}
	for _, m := range strings.Split(*modes, ",") {
		mode, ok := map[string]cost.Mode{"burst": cost.Burst, "steady": cost.Steady}[strings.TrimSpace(m)]
		if !ok {
			errs = append(errs, fmt.Errorf("modes: %q is neither burst nor steady", m))
			continue
		}
		for _, n := range counts {
			opts.Scenarios = append(opts.Scenarios, cost.Scenario{Subscribers: n, Mode: mode})
		}
	}
	if opts.N < 1 || len(opts.Scenarios) == 0 {
		errs = append(errs, errors.New("nothing to run: N and at least one scenario are needed"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	results, err := cost.Run(ctx, opts, os.Stdout)
	cost.PrintSummary(os.Stdout, results)
	if err != nil {
		return err
	}
	if d := cost.Disagreements(results); len(d) > 0 {
		return fmt.Errorf("the meter and the proxy disagree: %s", strings.Join(d, "; "))
	}
	return nil
}

// pickMix selects the samples named kind/sample, or every one for "all".
func pickMix(samples []loadtest.Sample, spec string) ([]loadtest.Sample, error) {
	if spec == "all" {
		return samples, nil
	}
	var out []loadtest.Sample
	for _, name := range strings.Split(spec, ",") {
		kind, sample, _ := strings.Cut(strings.TrimSpace(name), "/")
		found := false
		for _, s := range samples {
			if s.Kind == kind && s.Name == sample {
				out, found = append(out, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("mix: no sample %q (kind/sample, e.g. stripe/payment_intent.succeeded)", name)
		}
	}
	return out, nil
}
