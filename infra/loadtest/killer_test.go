package loadtest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/infra/local"
)

func TestPlanSpreadsKillsOverTheSendingTime(t *testing.T) {
	plan := Plan(map[string]int{"process": 2, "deliver": 3}, 100*time.Second)
	if len(plan) != 5 {
		t.Fatalf("plan %+v", plan)
	}
	count := map[string]int{}
	for i, s := range plan {
		count[s.Function]++
		if s.After <= 0 || s.After >= 80*time.Second || (i > 0 && s.After < plan[i-1].After) {
			t.Fatalf("slot %d at %s: not in order within 80 %% of the sending time: %+v", i, s.After, plan)
		}
	}
	if count["process"] != 2 || count["deliver"] != 3 {
		t.Fatalf("plan %+v", plan)
	}
}

func batch(bodies ...string) []byte {
	var ev events.SQSEvent
	for _, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{Body: b})
	}
	out, _ := json.Marshal(ev)
	return out
}

func TestBatchKeys(t *testing.T) {
	got := BatchKeys(batch(`{"delivery_id":"dlv_1"}`, `{"event_id":"evt_2"}`, `not json`))
	if !slices.Equal(got, []string{"dlv_1", "evt_2"}) {
		t.Fatalf("got %v", got)
	}
	if BatchKeys([]byte(`{"version":"2.0"}`)) != nil {
		t.Fatal("an API Gateway event has no batch keys")
	}
}

// fakeRuntimes is a pool whose in-flight invocations the test sets.
type fakeRuntimes struct {
	mu       sync.Mutex
	inFlight []local.InFlight
	killed   []local.InFlight
	now      time.Time
}

func (f *fakeRuntimes) InFlight() []local.InFlight {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.inFlight)
}

func (f *fakeRuntimes) KillRuntime(inv local.InFlight) (time.Time, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.killed = append(f.killed, inv)
	return f.now, 4242, nil
}

func TestKillerKillsTheLargestBatchUnderWay(t *testing.T) {
	now := time.Now()
	pool := &fakeRuntimes{now: now, inFlight: []local.InFlight{
		{Function: "deliver", Instance: 0, Seq: 1, Started: now.Add(-time.Second), Payload: batch(`{"delivery_id":"dlv_a"}`)},
		{Function: "deliver", Instance: 1, Seq: 7, Started: now.Add(-time.Second), Payload: batch(`{"delivery_id":"dlv_b"}`, `{"delivery_id":"dlv_c"}`)},
		{Function: "deliver", Instance: 2, Seq: 3, Started: now.Add(time.Hour), Payload: batch(`{"delivery_id":"dlv_d"}`, `{"delivery_id":"dlv_e"}`, `{"delivery_id":"dlv_f"}`)},
	}}
	k := &Killer{Pools: map[string]Runtimes{"deliver": pool}, MinAge: 10 * time.Millisecond, Patience: time.Second}
	k.Run(context.Background(), time.Now(), []Slot{{Function: "deliver"}, {Function: "process"}})
	kills := k.Kills()
	if len(kills) != 2 {
		t.Fatalf("kills %+v", kills)
	}
	if got := kills[0]; got.Instance != 1 || got.Pid != 4242 || !got.At.Equal(now) || !slices.Equal(got.Keys, []string{"dlv_b", "dlv_c"}) {
		t.Fatalf("killed %+v; the largest batch that has run MinAge is instance 1", got)
	}
	if len(pool.killed) != 1 || pool.killed[0].Seq != 7 {
		t.Fatalf("the pool was asked to kill %+v", pool.killed)
	}
	if kills[1].Skipped == "" {
		t.Fatalf("a function without a pool was not skipped: %+v", kills[1])
	}
}
