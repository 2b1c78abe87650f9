package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/wedsync/webhooks/infra/loadtest"
	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/topology"
)

// ErrNotDrained means a scenario's events were not all processed and delivered within its cap.
var ErrNotDrained = errors.New("the stack did not drain within the cap")

// Mode is how the events are sent: a burst (as fast as InFlight allows) or a steady rate.
type Mode struct {
	Name     string
	Rate     float64
	InFlight int
}

// Burst and Steady are the two modes make cost runs.
var (
	Burst  = Mode{Name: "burst", Rate: 10000, InFlight: 50}
	Steady = Mode{Name: "steady", Rate: 10, InFlight: 8}
)

// Scenario is one run: how many subscribers receive the mix, and how it is sent.
type Scenario struct {
	Subscribers int
	Mode        Mode
}

// String names the scenario.
func (s Scenario) String() string {
	return fmt.Sprintf("%s, %d subscriber%s", s.Mode.Name, s.Subscribers, map[bool]string{true: "", false: "s"}[s.Subscribers == 1])
}

// Options are a make cost run's settings.
type Options struct {
	Root string
	// N is how many requests each scenario sends.
	N int
	// Mix is what is sent, round-robin; Filters are what every subscriber subscribes to.
	Mix     []loadtest.Sample
	Filters []string
	// Scenarios run one after the other, each on fresh tables and queues.
	Scenarios []Scenario
	// Proxy puts a counting proxy in front of each emulator and checks the meter against it.
	Proxy bool
	// Pools are the RIE processes per function; unnamed functions get 2, as make dev runs.
	Pools map[string]int
	// Cap bounds each scenario's sending and draining.
	Cap time.Duration
}

// DefaultFilters are the subscribers' event types: the mix's canonical type.
var DefaultFilters = []string{"payment.received"}

// DeployedEnv is what a cost run sets in every function beside the local stack's own
// variables, so the functions run with a deployed stack's caches: the local stack turns the
// connection cache off (WEDSYNC_CONNECTION_CACHE_TTL=0s) so a developer sees changes at once.
func DeployedEnv(statsPath string) []string {
	return []string{
		"WEDSYNC_CONNECTION_CACHE_TTL=" + ingest.DefaultCacheTTL.String(),
		awsenv.StatsEnv + "=" + statsPath,
	}
}

// Run runs every scenario and returns their results; progress goes to out.
func Run(ctx context.Context, opts Options, out io.Writer) ([]Result, error) {
	prices, err := ListPrices()
	if err != nil {
		return nil, err
	}
	stateDir := filepath.Join(opts.Root, ".dev", "cost")
	runDir := filepath.Join(stateDir, "runs", time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "make cost: %d requests a scenario; run files in %s\nstarting the emulators…\n", opts.N, runDir)
	emu, err := startEmulators(ctx, opts.Root, stateDir)
	if err != nil {
		return nil, err
	}
	defer emu.stop()
	var results []Result
	for i, sc := range opts.Scenarios {
		r, err := runScenario(ctx, opts, emu, stateDir, runDir, i, sc, out)
		if err != nil {
			return results, fmt.Errorf("%s: %w", sc, err)
		}
		r.Prices = prices
		results = append(results, r)
		r.Print(out)
	}
	return results, nil
}

type emulators struct {
	procs             []*emulator.Process
	dynamo, sqs, keys string
}

func startEmulators(ctx context.Context, root, stateDir string) (*emulators, error) {
	e := &emulators{}
	for _, start := range []struct {
		endpoint *string
		run      func() (*emulator.Process, error)
	}{
		{&e.dynamo, func() (*emulator.Process, error) { return emulator.StartDynamoDB(ctx, root, 0, nil) }},
		{&e.sqs, func() (*emulator.Process, error) { return emulator.StartSQS(ctx, root, 0, nil) }},
		{&e.keys, func() (*emulator.Process, error) {
			return emulator.StartKMS(ctx, root, 0, filepath.Join(stateDir, "kms"), nil)
		}},
	} {
		p, err := start.run()
		if err != nil {
			e.stop()
			return nil, err
		}
		e.procs = append(e.procs, p)
		*start.endpoint = p.Endpoint
	}
	return e, nil
}

func (e *emulators) stop() {
	for _, p := range e.procs {
		p.Stop()
	}
}

// proxies counts the functions' calls to each emulator.
type proxies []*Proxy

func (ps proxies) close() {
	for _, p := range ps {
		p.Close()
	}
}

func runScenario(ctx context.Context, opts Options, emu *emulators, stateDir, runDir string, n int, sc Scenario, out io.Writer) (Result, error) {
	name := fmt.Sprintf("%d-%s-%d", n+1, sc.Mode.Name, sc.Subscribers)
	statsPath := filepath.Join(runDir, name+"-aws-calls.jsonl")
	logs, err := os.Create(filepath.Join(runDir, name+"-functions.log"))
	if err != nil {
		return Result{}, err
	}
	defer logs.Close()
	env := DeployedEnv(statsPath)
	var ps proxies
	if opts.Proxy {
		for _, up := range []struct{ upstream, variable string }{
			{emu.dynamo, "AWS_ENDPOINT_URL_DYNAMODB"}, {emu.sqs, "AWS_ENDPOINT_URL_SQS"}, {emu.keys, "AWS_ENDPOINT_URL_KMS"},
		} {
			p, err := StartProxy(up.upstream)
			if err != nil {
				ps.close()
				return Result{}, err
			}
			ps = append(ps, p)
			env = append(env, up.variable+"="+p.URL)
		}
		defer ps.close()
	}
	spec := topology.Default()
	meter := &Meter{SQSTriggered: map[string]bool{}}
	for _, f := range spec.Functions {
		if f.Source != nil {
			meter.SQSTriggered[f.Name] = true
		}
	}
	var counting atomic.Bool
	fmt.Fprintf(out, "\n== %s: starting the stack…\n", sc)
	stack, err := local.Start(ctx, local.Config{
		Root: opts.Root, StateDir: stateDir, Addr: "127.0.0.1:0", PoolSize: 2, PoolSizes: opts.Pools,
		DynamoDB: emu.dynamo, SQS: emu.sqs, KMS: emu.keys, NamePrefix: "wedsync-cost-" + strconv.Itoa(n+1),
		Env: env, Logs: logs,
		Observe: func(inv local.Invocation) {
			if counting.Load() {
				meter.Invocation(inv.Function)
			}
		},
	})
	if err != nil {
		return Result{}, err
	}
	defer stack.Stop()
	st := stack.State()
	meter.Tables = map[string]string{}
	for logical, physical := range st.Tables {
		meter.Tables[physical] = logical
	}
	var hooks []*loadtest.Hook
	defer func() {
		for _, h := range hooks {
			h.Close()
		}
	}()
	for i := range sc.Subscribers {
		h, err := loadtest.StartHook(loadtest.Subscriber{Name: fmt.Sprintf("sub%d", i+1), Filters: opts.Filters}, uint64(i+1))
		if err != nil {
			return Result{}, err
		}
		hooks = append(hooks, h)
	}
	if _, err := loadtest.Subscribe(ctx, st, hooks); err != nil {
		return Result{}, err
	}

	runCtx, cancel := context.WithTimeout(ctx, opts.Cap)
	defer cancel()
	from := time.Now()
	for _, p := range ps {
		p.Reset()
	}
	counting.Store(true)
	sender := &loadtest.Sender{State: st, Samples: opts.Mix, Rate: sc.Mode.Rate, InFlight: sc.Mode.InFlight, MaxAttempts: 4,
		Prefix: "msg_cost_" + name + "_" + from.Format("150405") + "_",
		Client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: sc.Mode.InFlight}}}
	fmt.Fprintf(out, "sending %d at %s…\n", opts.N, rate(sc.Mode))
	sends := sender.Run(runCtx, opts.N)
	drained := drain(runCtx, stack, st)
	if drained {
		if err := closingTicks(runCtx, stack, from, time.Now(), out); err != nil {
			return Result{}, err
		}
	}
	to := time.Now()
	counting.Store(false)

	r := Result{Scenario: sc, Mix: opts.Mix, N: opts.N, Elapsed: to.Sub(from), Drained: drained}
	seen := map[string]bool{}
	for _, s := range sends {
		for range s.Attempts {
			meter.Request()
		}
		if s.Accepted() {
			r.Accepted++
			for _, id := range s.EventIDs {
				seen[id] = true
			}
		}
	}
	r.Events = len(seen)
	for _, h := range hooks {
		_, ok := h.Count()
		r.Delivered += ok
	}
	if err := readStats(statsPath, from, to, meter); err != nil {
		return Result{}, err
	}
	r.Rows = meter.Rows()
	if opts.Proxy {
		r.Proxy = map[ProxyKey]Tally{}
		for _, p := range ps {
			for k, t := range p.Counts() {
				r.Proxy[k] = t
			}
		}
	}
	if !drained {
		return r, fmt.Errorf("%w (%s)", ErrNotDrained, opts.Cap)
	}
	return r, nil
}

func rate(m Mode) string {
	if m.Rate >= 1000 {
		return fmt.Sprintf("once (%d in flight)", m.InFlight)
	}
	return fmt.Sprintf("%g/s", m.Rate)
}

// readStats counts the CallStat lines of calls begun between from and to.
func readStats(path string, from, to time.Time, m *Meter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = awsenv.ReadCallStats(f, func(s awsenv.CallStat) {
		if at := time.UnixMicro(s.At); !at.Before(from) && !at.After(to) {
			m.Call(s)
		}
	})
	return err
}

// closingTicks runs the scheduler's ticks that look at the run's events for any never
// queued: a tick checks the minute of event time that ended two minutes before it, so those
// ticks come after the run has drained. They are made at once, each with the time it would
// have (the minutes from's to to's, plus three), and counted with the run.
func closingTicks(ctx context.Context, stack *local.Stack, from, to time.Time, out io.Writer) error {
	var ticks []time.Time
	for m := from.Truncate(time.Minute); !m.After(to); m = m.Add(time.Minute) {
		ticks = append(ticks, m.Add(delivery.StuckAfter+time.Minute))
	}
	fmt.Fprintf(out, "closing ticks of the scheduler (the check for events never queued of the run's %d minute(s))…\n", len(ticks))
	for _, at := range ticks {
		payload, err := json.Marshal(local.ScheduledEvent("every-minute", at))
		if err != nil {
			return err
		}
		if _, err := stack.Invoke(ctx, "scheduler", payload); err != nil {
			return fmt.Errorf("the scheduler's tick at %s: %w", at.Format(time.TimeOnly), err)
		}
	}
	return nil
}

// drain waits until no event is unprocessed, no delivery is live and the events,
// deliveries and commands queues are empty, twice in a row (a sparse index may lag its
// table), or ctx ends; it reports whether the stack drained.
func drain(ctx context.Context, stack *local.Stack, st local.State) bool {
	stores := loadtest.Stores{DB: stack.DynamoDB, SQS: stack.SQS, State: st}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	quiet := 0
	for {
		events, deliveries, err := stores.Pending(ctx)
		if err == nil && len(events)+len(deliveries) == 0 && stores.QueuesEmpty(ctx) {
			if quiet++; quiet == 2 {
				return true
			}
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
