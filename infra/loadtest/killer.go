package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/infra/local"
)

// Kill is one runtime killed mid-batch: which, when, and the keys (delivery or event ids)
// of the batch it was running.
type Kill struct {
	Function string    `json:"function"`
	Instance int       `json:"instance"`
	Pid      int       `json:"pid"`
	Started  time.Time `json:"invocation_started"`
	At       time.Time `json:"killed_at"`
	Keys     []string  `json:"keys"`
	// Skipped says why no runtime was killed at this slot.
	Skipped string `json:"skipped,omitempty"`
}

// Runtimes is what the killer needs of a function's pool.
type Runtimes interface {
	InFlight() []local.InFlight
	KillRuntime(inv local.InFlight) (time.Time, int, error)
}

// Killer kills runtimes of functions mid-batch at planned times.
type Killer struct {
	Pools map[string]Runtimes
	// MinAge is how long an invocation must have run to count as mid-batch.
	MinAge time.Duration
	// Patience is how long to wait at a slot for an invocation to kill.
	Patience time.Duration
	Logs     io.Writer

	mu    sync.Mutex
	kills []Kill
}

// Slot is a planned kill.
type Slot struct {
	Function string
	After    time.Duration
}

// Plan spreads kills[fn] kills of each function evenly over d, the functions interleaved.
func Plan(kills map[string]int, d time.Duration) []Slot {
	var out []Slot
	fns := make([]string, 0, len(kills))
	for fn := range kills {
		fns = append(fns, fn)
	}
	slices.Sort(fns)
	for i, fn := range fns {
		n := kills[fn]
		for j := range n {
			frac := (float64(j) + 0.5 + float64(i)/float64(len(fns))/2) / float64(n)
			out = append(out, Slot{Function: fn, After: time.Duration(frac * 0.8 * float64(d))})
		}
	}
	slices.SortFunc(out, func(a, b Slot) int { return int(a.After - b.After) })
	return out
}

// Run carries out plan from start until ctx ends.
func (k *Killer) Run(ctx context.Context, start time.Time, plan []Slot) {
	for _, slot := range plan {
		t := time.NewTimer(time.Until(start.Add(slot.After)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		kill := k.killOne(ctx, slot.Function)
		k.mu.Lock()
		k.kills = append(k.kills, kill)
		k.mu.Unlock()
		if k.Logs != nil {
			if kill.Skipped != "" {
				fmt.Fprintf(k.Logs, "kill %s: skipped (%s)\n", kill.Function, kill.Skipped)
			} else {
				fmt.Fprintf(k.Logs, "killed %s#%d runtime %d mid-batch (%d in its batch, %s into it)\n",
					kill.Function, kill.Instance+1, kill.Pid, len(kill.Keys), kill.At.Sub(kill.Started).Round(time.Millisecond))
			}
		}
	}
}

// Kills returns the kills carried out so far.
func (k *Killer) Kills() []Kill {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.kills)
}

// killOne waits for an invocation of fn that has run MinAge, preferring the largest batch,
// and kills its runtime.
func (k *Killer) killOne(ctx context.Context, fn string) Kill {
	pool, ok := k.Pools[fn]
	if !ok {
		return Kill{Function: fn, Skipped: "no such pool"}
	}
	deadline := time.Now().Add(k.Patience)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		var best *local.InFlight
		var bestKeys []string
		for _, inv := range pool.InFlight() {
			if time.Since(inv.Started) < k.MinAge {
				continue
			}
			keys := BatchKeys(inv.Payload)
			if len(keys) > len(bestKeys) {
				best, bestKeys = &inv, keys
			}
		}
		if best != nil {
			at, pid, err := pool.KillRuntime(*best)
			if err == nil {
				return Kill{Function: fn, Instance: best.Instance, Pid: pid, Started: best.Started, At: at, Keys: bestKeys}
			}
			if !errors.Is(err, local.ErrNotInFlight) && !errors.Is(err, local.ErrNoRuntime) {
				return Kill{Function: fn, Skipped: err.Error()}
			}
		}
		select {
		case <-ctx.Done():
			return Kill{Function: fn, Skipped: "the run ended"}
		case <-tick.C:
		}
	}
	return Kill{Function: fn, Skipped: fmt.Sprintf("no batch under way for %s", k.Patience)}
}

// BatchKeys reads the delivery or event ids of an SQS batch payload.
func BatchKeys(payload []byte) []string {
	var batch events.SQSEvent
	if json.Unmarshal(payload, &batch) != nil {
		return nil
	}
	var keys []string
	for _, r := range batch.Records {
		var body struct {
			DeliveryID string `json:"delivery_id"`
			EventID    string `json:"event_id"`
		}
		if json.Unmarshal([]byte(r.Body), &body) != nil {
			continue
		}
		if body.DeliveryID != "" {
			keys = append(keys, body.DeliveryID)
		} else if body.EventID != "" {
			keys = append(keys, body.EventID)
		}
	}
	return keys
}
