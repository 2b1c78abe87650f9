package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// Files a run keeps in its directory.
const (
	FunctionLogs = "functions.log"
	CallStatsLog = "aws-calls.jsonl"
	ArrivalsLog  = "arrivals.jsonl"
	KillsLog     = "kills.json"
	ReportFile   = "report.txt"
)

// Run starts a fresh local stack (its own emulators, under root/.dev/loadtest), subscribes
// the knobs' subscribers through the management API with the dev API key, sends N signed
// requests, kills runtimes as planned, waits until nothing is live or the cap is reached,
// and computes the report from the stores, the DLQs and what the subscribers received.
// Progress goes to out; the run's files stay in a directory it names.
func Run(ctx context.Context, root string, k Knobs, out io.Writer) (Report, error) {
	if err := k.Validate(); err != nil {
		return Report{}, err
	}
	samples, err := Samples(root)
	if err != nil {
		return Report{}, err
	}
	stateDir := filepath.Join(root, ".dev", "loadtest")
	runDir := filepath.Join(stateDir, "runs", k.Profile+"-"+time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return Report{}, err
	}
	logs, err := os.Create(filepath.Join(runDir, FunctionLogs))
	if err != nil {
		return Report{}, err
	}
	defer logs.Close()
	fmt.Fprintf(out, "make %s: N=%d at %g/s, %d subscribers, cap %s; run files in %s\n", k.Profile, k.N, k.Rate, len(k.Subscribers), k.Cap, runDir)

	hooks, err := startHooks(k)
	if err != nil {
		return Report{}, err
	}
	defer closeHooks(hooks)

	invocations := &Invocations{}
	fmt.Fprintln(out, "building the functions and starting the stack…")
	stack, err := local.Start(ctx, local.Config{
		Root: root, StateDir: stateDir, Addr: "127.0.0.1:0", PoolSize: 1, PoolSizes: k.PoolSizes(),
		Visibility: k.Visibility, NamePrefix: "wedsync-load", Env: k.Env(filepath.Join(runDir, CallStatsLog)),
		Logs: logs, ScheduleEvery: k.ScheduleEvery, Observe: invocations.Observe,
	})
	if err != nil {
		return Report{}, err
	}
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(stack.Stop) }
	defer stop()
	st := stack.State()
	stores := Stores{DB: stack.DynamoDB, SQS: stack.SQS, State: st}

	subIDs, err := Subscribe(ctx, st, hooks)
	if err != nil {
		return Report{}, err
	}
	fmt.Fprintf(out, "stack ready at %s; %d subscriptions; sending…\n", st.URL, len(subIDs))

	runCtx, cancel := context.WithTimeout(ctx, k.Cap)
	defer cancel()
	killCtx, stopKiller := context.WithCancel(runCtx)
	defer stopKiller()
	killer := &Killer{Pools: map[string]Runtimes{}, MinAge: 20 * time.Millisecond, Patience: 10 * time.Second, Logs: out}
	for fn := range k.Kills {
		if p, ok := stack.Pool(fn); ok {
			killer.Pools[fn] = p
		}
	}
	sender := &Sender{State: st, Samples: samples, Rate: k.Rate, InFlight: k.InFlight, MaxAttempts: 4,
		Prefix: "msg_" + k.Profile + "_" + time.Now().Format("150405") + "_",
		Client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: k.InFlight}}}

	start := time.Now()
	sendTime := time.Duration(float64(k.N) / k.Rate * float64(time.Second))
	var killerDone sync.WaitGroup
	killerDone.Go(func() { killer.Run(killCtx, start, Plan(k.Kills, sendTime)) })
	progressCtx, stopProgress := context.WithCancel(runCtx)
	var progressDone sync.WaitGroup
	progressDone.Go(func() { progress(progressCtx, out, start, k, sender, hooks, stores, killer) })

	sends := sender.Run(runCtx, k.N)
	sendEnd := time.Now()
	fmt.Fprintf(out, "sent %d requests in %s; draining…\n", len(sends), sendEnd.Sub(start).Round(time.Millisecond))
	killerDone.Wait()
	drained := drain(runCtx, stores)
	end := time.Now()
	stopProgress()
	progressDone.Wait()
	fmt.Fprintf(out, "drained: %v after %s\n", drained, end.Sub(start).Round(time.Second))

	closeHooks(hooks)
	collectCtx, cancelCollect := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelCollect()
	in := Inputs{Knobs: k, SubscriptionIDs: subIDs, Sends: sends, Kills: killer.Kills(),
		SendStart: start, SendEnd: sendEnd, End: end, Drained: drained}
	for _, h := range hooks {
		in.Arrivals = append(in.Arrivals, h.Arrivals()...)
	}
	if err := collect(collectCtx, stores, &in); err != nil {
		return Report{}, err
	}
	stop()
	in.Functions = invocations.Summary()
	if in.Calls, err = readCalls(filepath.Join(runDir, CallStatsLog)); err != nil {
		return Report{}, err
	}
	r := Compute(in)
	if err := keep(runDir, in, r); err != nil {
		return r, err
	}
	fmt.Fprintln(out)
	r.Print(out)
	return r, nil
}

func startHooks(k Knobs) ([]*Hook, error) {
	var hooks []*Hook
	for i, spec := range k.Subscribers {
		h, err := StartHook(spec, k.Seed+uint64(i))
		if err != nil {
			closeHooks(hooks)
			return nil, err
		}
		hooks = append(hooks, h)
	}
	return hooks, nil
}

func closeHooks(hooks []*Hook) {
	for _, h := range hooks {
		h.Close()
	}
}

// Subscribe creates one subscription per hook through the management API, retrying a 5xx
// with the same Idempotency-Key, and gives each hook its secret.
func Subscribe(ctx context.Context, st local.State, hooks []*Hook) (map[string]string, error) {
	ids := map[string]string{}
	for _, h := range hooks {
		body, _ := json.Marshal(map[string]any{"endpoint_url": h.URL, "event_types": h.Spec.Filters, "description": "load test " + h.Spec.Name})
		var created struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}
		var status int
		var err error
		for try := range 5 {
			if status, err = apiPost(ctx, st, "/v1/subscriptions", body, "loadtest-"+h.Spec.Name, &created); err == nil && status < 500 {
				break
			}
			time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
		}
		if err != nil || status != http.StatusCreated {
			return nil, fmt.Errorf("subscribe %s: %d %v", h.Spec.Name, status, err)
		}
		if err := h.SetSecret(created.Secret); err != nil {
			return nil, fmt.Errorf("subscribe %s: %w", h.Spec.Name, err)
		}
		ids[h.Spec.Name] = created.ID
	}
	return ids, nil
}

func apiPost(ctx context.Context, st local.State, path string, body []byte, idempotencyKey string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("authorization", "Bearer "+st.APIKey)
	req.Header.Set("content-type", "application/json")
	req.Header.Set("idempotency-key", idempotencyKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, json.Unmarshal(env.Data, out)
}

// drain waits until every stored event is processed, no delivery is live (or what is left
// is in a DLQ) and the queues are empty, or ctx ends; it reports whether the stack drained.
func drain(ctx context.Context, stores Stores) bool {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	quiet := 0
	for {
		events, deliveries, err := stores.Pending(ctx)
		if err == nil && len(events)+len(deliveries) <= 1000 && inDLQs(ctx, stores, events, deliveries) && stores.QueuesEmpty(ctx) {
			// Twice in a row, as a sparse index may lag the table.
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

func inDLQs(ctx context.Context, stores Stores, events, deliveries []string) bool {
	if len(events)+len(deliveries) == 0 {
		return true
	}
	edlq, err := stores.DLQ(ctx, topology.QueueEvents)
	if err != nil {
		return false
	}
	ddlq, err := stores.DLQ(ctx, topology.QueueDeliveries)
	if err != nil {
		return false
	}
	e, d := set(edlq), set(ddlq)
	for _, id := range events {
		if !e[id] {
			return false
		}
	}
	for _, id := range deliveries {
		if !d[id] {
			return false
		}
	}
	return true
}

func progress(ctx context.Context, out io.Writer, start time.Time, k Knobs, s *Sender, hooks []*Hook, stores Stores, killer *Killer) {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		answered, accepted := s.Progress()
		events, deliveries, _ := stores.Pending(ctx)
		var subs []string
		for _, h := range hooks {
			posts, ok := h.Count()
			subs = append(subs, fmt.Sprintf("%s %d/%d", h.Spec.Name, ok, posts))
		}
		fmt.Fprintf(out, "[+%3.0fs] sent %d/%d (%d accepted) · unprocessed events %d · live deliveries %d · 2xx/POSTs %s · kills %d\n",
			time.Since(start).Seconds(), answered, k.N, accepted, len(events), len(deliveries), strings.Join(subs, " "), len(killer.Kills()))
	}
}

func collect(ctx context.Context, stores Stores, in *Inputs) error {
	var err error
	if in.Events, err = stores.Events(ctx); err != nil {
		return err
	}
	if in.Deliveries, err = stores.Deliveries(ctx); err != nil {
		return err
	}
	if in.Subscriptions, err = stores.Subscriptions(ctx); err != nil {
		return err
	}
	if in.EventsDLQ, err = stores.DLQ(ctx, topology.QueueEvents); err != nil {
		return err
	}
	in.DeliveriesDLQ, err = stores.DLQ(ctx, topology.QueueDeliveries)
	return err
}

func readCalls(path string) (map[CallKey]CallTiming, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var c CallTimings
	bad, err := awsenv.ReadCallStats(f, c.Add)
	if err != nil {
		return nil, err
	}
	c.Unreadable = bad
	return c.Summary(), nil
}

// keep writes the run's arrivals, kills and report next to its logs.
func keep(dir string, in Inputs, r Report) error {
	arrivals := slices.Clone(in.Arrivals)
	slices.SortFunc(arrivals, func(a, b Arrival) int { return a.At.Compare(b.At) })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, a := range arrivals {
		if err := enc.Encode(a); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ArrivalsLog), buf.Bytes(), 0o600); err != nil {
		return err
	}
	kills, err := json.MarshalIndent(in.Kills, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, KillsLog), kills, 0o600); err != nil {
		return err
	}
	var report bytes.Buffer
	r.Print(&report)
	return os.WriteFile(filepath.Join(dir, ReportFile), report.Bytes(), 0o600)
}
