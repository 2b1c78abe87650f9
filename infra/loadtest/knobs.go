package loadtest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/topology"
)

// ErrBadKnob means a knob does not parse or is out of range.
var ErrBadKnob = errors.New("bad knob")

// Subscriber is one loopback subscriber: the event types it subscribes to and how it
// answers.
type Subscriber struct {
	Name    string
	Filters []string
	// FailShare of its requests are answered 500.
	FailShare float64
	// Delay is how long it takes to answer 200.
	Delay time.Duration
	// Dead: nothing listens on its port.
	Dead bool
}

// String writes the subscriber as ParseSubscribers reads it.
func (s Subscriber) String() string {
	out := s.Name + "=" + strings.Join(s.Filters, ",")
	if s.FailShare > 0 {
		out += ":fail=" + strconv.FormatFloat(s.FailShare, 'g', -1, 64)
	}
	if s.Delay > 0 {
		out += ":delay=" + s.Delay.String()
	}
	if s.Dead {
		out += ":dead"
	}
	return out
}

// Behaviour says in words how the subscriber answers.
func (s Subscriber) Behaviour() string {
	switch {
	case s.Dead:
		return "dead (connection refused)"
	case s.Delay > 0 && s.FailShare > 0:
		return fmt.Sprintf("answers in %s, fails %g %%", s.Delay, s.FailShare*100)
	case s.Delay > 0:
		return "answers 200 in " + s.Delay.String()
	case s.FailShare > 0:
		return fmt.Sprintf("answers 500 to %g %% of requests", s.FailShare*100)
	}
	return "answers 200 at once"
}

// ParseSubscribers reads "name=type,type[:fail=0.2][:delay=5s][:dead];…".
func ParseSubscribers(spec string) ([]Subscriber, error) {
	var out []Subscriber
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		name, filters, ok := strings.Cut(fields[0], "=")
		if !ok || name == "" || filters == "" {
			return nil, fmt.Errorf("%w: subscriber %q is not name=type,…", ErrBadKnob, part)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: subscriber %q named twice", ErrBadKnob, name)
		}
		seen[name] = true
		s := Subscriber{Name: name, Filters: strings.Split(filters, ",")}
		for _, opt := range fields[1:] {
			k, v, _ := strings.Cut(opt, "=")
			switch k {
			case "fail":
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f >= 1 {
					return nil, fmt.Errorf("%w: subscriber %s: fail=%q is not a share below 1", ErrBadKnob, name, v)
				}
				s.FailShare = f
			case "delay":
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return nil, fmt.Errorf("%w: subscriber %s: delay=%q is not a duration", ErrBadKnob, name, v)
				}
				s.Delay = d
			case "dead":
				s.Dead = true
			default:
				return nil, fmt.Errorf("%w: subscriber %s: unknown option %q (fail=, delay=, dead)", ErrBadKnob, name, opt)
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no subscriber", ErrBadKnob)
	}
	return out, nil
}

// ParseCounts reads "name=n,…" (pool sizes, kills). In pool sizes, "ingest" stands for
// every ingest function.
func ParseCounts(spec string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(v)
		if !ok || k == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("%w: %q is not name=count", ErrBadKnob, part)
		}
		out[k] = n
	}
	return out, nil
}

// Knobs are every setting of a run; make load and make chaos pin each one and the report
// prints them.
type Knobs struct {
	// Profile names the run (load, chaos).
	Profile string
	// N is how many signed ingest requests are sent, round-robin over every provider's samples.
	N int
	// Rate is the sending rate in requests per second; InFlight bounds the requests under way.
	Rate     float64
	InFlight int
	// Subscribers receive the deliveries.
	Subscribers []Subscriber
	// RetryScale multiplies the retry schedule, the breaker's probe interval and the
	// 5-day disable (WEDSYNC_RETRY_SCALE).
	RetryScale float64
	// Pools are the RIE processes per function ("ingest" for every ingest function).
	Pools map[string]int
	// Visibility is the queues' visibility timeout: how soon a killed batch comes back.
	Visibility time.Duration
	// ScheduleEvery is the scheduler's tick.
	ScheduleEvery time.Duration
	// DeliveryTimeout bounds one POST (WEDSYNC_DELIVERY_TIMEOUT).
	DeliveryTimeout time.Duration
	// Cap bounds the whole run: sending and draining.
	Cap time.Duration
	// Faults are injected into the functions' AWS clients (WEDSYNC_FAULTS); zero for none.
	Faults awsenv.Faults
	// Kills is how many runtimes of each function are killed mid-batch.
	Kills map[string]int
	// Seed draws the subscribers' failures.
	Seed uint64
}

// Validate names every bad knob at once.
func (k Knobs) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrBadKnob}, args...)...))
	}
	if k.N < 1 {
		bad("N=%d must be at least 1", k.N)
	}
	if k.Rate <= 0 {
		bad("rate %g must be positive", k.Rate)
	}
	if k.InFlight < 1 {
		bad("in-flight %d must be at least 1", k.InFlight)
	}
	if len(k.Subscribers) == 0 {
		bad("no subscriber")
	}
	if k.RetryScale <= 0 {
		bad("retry scale %g must be positive", k.RetryScale)
	}
	if k.Cap <= 0 || k.Visibility < time.Second || k.ScheduleEvery <= 0 || k.DeliveryTimeout <= 0 {
		bad("cap, visibility (≥ 1 s), schedule tick and delivery timeout must be positive")
	}
	spec := topology.Default()
	for name, n := range k.Pools {
		if _, ok := spec.Function(name); !ok && name != "ingest" {
			bad("pool of unknown function %q", name)
		}
		if n < 1 {
			bad("pool %s=%d must be at least 1", name, n)
		}
	}
	for name := range k.Kills {
		if name != "process" && name != "deliver" {
			bad("kills of %q: only process and deliver runtimes are killed", name)
		}
	}
	return errors.Join(errs...)
}

// PoolSizes expands Pools to every function of the topology.
func (k Knobs) PoolSizes() map[string]int {
	out := map[string]int{}
	for _, name := range topology.Default().Names() {
		n := k.Pools[name]
		if n == 0 && strings.HasPrefix(name, "ingest-") {
			n = k.Pools["ingest"]
		}
		if n == 0 {
			n = 1
		}
		out[name] = n
	}
	return out
}

// ProbeInterval is the breaker's probe interval at the run's retry scale.
func (k Knobs) ProbeInterval() time.Duration {
	return time.Duration(float64(delivery.ProbeInterval) * k.RetryScale)
}

// DisableAfter is the 5-day disable at the run's retry scale.
func (k Knobs) DisableAfter() time.Duration {
	return time.Duration(float64(delivery.DisableAfter) * k.RetryScale)
}

// Env is what the run adds to every function's environment.
func (k Knobs) Env(statsPath string) []string {
	env := []string{
		"WEDSYNC_RETRY_SCALE=" + strconv.FormatFloat(k.RetryScale, 'g', -1, 64),
		"WEDSYNC_DELIVERY_TIMEOUT=" + k.DeliveryTimeout.String(),
		awsenv.StatsEnv + "=" + statsPath,
	}
	if k.Faults != (awsenv.Faults{}) {
		env = append(env, awsenv.FaultsEnv+"="+k.Faults.String())
	}
	return env
}

// Print writes every knob.
func (k Knobs) Print(w io.Writer) {
	fmt.Fprintf(w, "knobs (%s)\n", k.Profile)
	fmt.Fprintf(w, "  requests          N=%d signed ingest requests, round-robin over every provider's samples\n", k.N)
	fmt.Fprintf(w, "  sending rate      %g requests/s, at most %d in flight\n", k.Rate, k.InFlight)
	fmt.Fprintf(w, "  wall-time cap     %s (sending and draining)\n", k.Cap)
	fmt.Fprintf(w, "  retry scale       %g: schedule 0, 5 s, 5 min … 24 h × %g; breaker probe every %s; disable after %s\n",
		k.RetryScale, k.RetryScale, k.ProbeInterval(), k.DisableAfter())
	fmt.Fprintf(w, "  delivery timeout  %s\n", k.DeliveryTimeout)
	fmt.Fprintf(w, "  queue visibility  %s   scheduler tick %s\n", k.Visibility, k.ScheduleEvery)
	sizes := k.PoolSizes()
	names := make([]string, 0, len(sizes))
	for name := range sizes {
		names = append(names, name)
	}
	slices.Sort(names)
	var pools []string
	for _, name := range names {
		pools = append(pools, fmt.Sprintf("%s=%d", name, sizes[name]))
	}
	fmt.Fprintf(w, "  pool sizes        %s\n", strings.Join(pools, " "))
	faults := "none"
	if k.Faults != (awsenv.Faults{}) {
		faults = k.Faults.String()
	}
	fmt.Fprintf(w, "  AWS faults        %s\n", faults)
	kills := "none"
	if len(k.Kills) > 0 {
		var parts []string
		for _, fn := range []string{"process", "deliver"} {
			if n := k.Kills[fn]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s=%d", fn, n))
			}
		}
		kills = strings.Join(parts, " ") + " (SIGKILL mid-batch)"
	}
	fmt.Fprintf(w, "  runtime kills     %s\n", kills)
	fmt.Fprintf(w, "  subscribers       %d (seed %d)\n", len(k.Subscribers), k.Seed)
	for _, s := range k.Subscribers {
		fmt.Fprintf(w, "    %-10s %-40s %s\n", s.Name, strings.Join(s.Filters, ","), s.Behaviour())
	}
}
