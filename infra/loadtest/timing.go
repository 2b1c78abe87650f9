package loadtest

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/awsenv"
)

// Durations summarizes a set of durations.
type Durations struct {
	N     int
	P50   time.Duration
	P99   time.Duration
	Max   time.Duration
	Total time.Duration
}

// Mean is the average, 0 for none.
func (d Durations) Mean() time.Duration {
	if d.N == 0 {
		return 0
	}
	return d.Total / time.Duration(d.N)
}

// Summarize sorts ds and summarizes them (nearest-rank percentiles).
func Summarize(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var total time.Duration
	for _, d := range s {
		total += d
	}
	return Durations{N: len(s), P50: rank(s, 50), P99: rank(s, 99), Max: s[len(s)-1], Total: total}
}

func rank(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Invocations collects what the RIE pools observe: per function, how long invocations
// waited for a free process and how long they ran.
type Invocations struct {
	mu  sync.Mutex
	by  map[string]*invocationSet
	all int
}

type invocationSet struct {
	wait, run []time.Duration
	failed    int
}

// Observe records one invocation; it is the stack's Observe hook.
func (i *Invocations) Observe(inv local.Invocation) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.by == nil {
		i.by = map[string]*invocationSet{}
	}
	s := i.by[inv.Function]
	if s == nil {
		s = &invocationSet{}
		i.by[inv.Function] = s
	}
	s.wait = append(s.wait, inv.Wait)
	s.run = append(s.run, inv.Run)
	if inv.Failed {
		s.failed++
	}
	i.all++
}

// FunctionTiming is one function's invocations: queue wait, run time, failures.
type FunctionTiming struct {
	Wait, Run Durations
	Failed    int
}

// Summary returns the timings per function.
func (i *Invocations) Summary() map[string]FunctionTiming {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := map[string]FunctionTiming{}
	for fn, s := range i.by {
		out[fn] = FunctionTiming{Wait: Summarize(s.wait), Run: Summarize(s.run), Failed: s.failed}
	}
	return out
}

// CallKey groups AWS calls: a function's calls of one operation.
type CallKey struct {
	Function, Service, Op string
}

// CallTiming summarizes a group of AWS calls.
type CallTiming struct {
	Latency      Durations
	Attempts     int
	Throttles    int
	ServerErrors int
	// Errors counts the calls that returned an error, by code: a conditional check that
	// failed is an answer; a throttle or an InternalFailure means every attempt failed.
	Errors map[string]int
}

// CallTimings aggregates CallStat lines.
type CallTimings struct {
	lat map[CallKey][]time.Duration
	agg map[CallKey]*CallTiming
	// Unreadable counts lines that did not parse.
	Unreadable int
}

// Add counts one call.
func (c *CallTimings) Add(s awsenv.CallStat) {
	if c.agg == nil {
		c.lat, c.agg = map[CallKey][]time.Duration{}, map[CallKey]*CallTiming{}
	}
	k := CallKey{Function: s.Function, Service: s.Service, Op: s.Op}
	t := c.agg[k]
	if t == nil {
		t = &CallTiming{}
		c.agg[k] = t
	}
	c.lat[k] = append(c.lat[k], time.Duration(s.Micros)*time.Microsecond)
	t.Attempts += s.Attempts
	t.Throttles += s.Throttles
	t.ServerErrors += s.ServerErrors
	if s.Err != "" {
		if t.Errors == nil {
			t.Errors = map[string]int{}
		}
		t.Errors[s.Err]++
	}
}

// Summary returns every group, its latencies summarized.
func (c *CallTimings) Summary() map[CallKey]CallTiming {
	out := map[CallKey]CallTiming{}
	for k, t := range c.agg {
		v := *t
		v.Errors = maps.Clone(t.Errors)
		v.Latency = Summarize(c.lat[k])
		out[k] = v
	}
	return out
}
