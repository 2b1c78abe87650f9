package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/infra/devstack/smoke"
	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// The stack's delivery settings: the retry schedule and probe interval scaled by 0.002
// (waits of 10 ms, 0.6 s, 3.6 s…), and a 4 s attempt timeout for the dead endpoint.
const (
	retryScale  = "0.002"
	deadTimeout = 4 * time.Second
)

// startStack starts the local stack on free ports, on the test's emulators, with 1 s queue
// visibility.
func startStack(t *testing.T) (*local.Stack, string) {
	t.Helper()
	wd, _ := os.Getwd()
	root, err := emulator.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	logs := &emulator.LockedBuffer{}
	stateDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stack, err := local.Start(ctx, local.Config{
		Root:       root,
		StateDir:   stateDir,
		Addr:       "127.0.0.1:0",
		DynamoDB:   testenv.DynamoDBEndpoint(t),
		SQS:        testenv.SQSEndpoint(t),
		NamePrefix: testenv.UniqueName(t, "dev"),
		Visibility: time.Second,
		PoolSize:   3,
		// deliver runs up to 20 at once in AWS; 6 here keeps hanging attempts to a dead
		// endpoint from taking every runtime a healthy endpoint's deliveries need.
		PoolSizes: map[string]int{"deliver": 6},
		Logs:      logs,
		Env: []string{"WEDSYNC_RETRY_SCALE=" + retryScale, "WEDSYNC_DELIVERY_TIMEOUT=" + deadTimeout.String(),
			"WEDSYNC_ENDPOINT_CONCURRENCY=2"},
		ScheduleEvery: time.Second,
	})
	if err != nil {
		t.Fatalf("start the local stack: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stack logs:\n%s", logs.String())
		}
	})
	return stack, stateDir
}

// eventually checks cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, within)
		}
		<-tick.C
	}
}

func post(t *testing.T, url string, headers map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type accepted struct {
	Data struct {
		EventID string `json:"event_id"`
	} `json:"data"`
}

// TestLocalStack drives the stack as a user would: over HTTP, through the router, the RIE
// pools and the pollers, on real emulators.
func TestLocalStack(t *testing.T) {
	stack, stateDir := startStack(t)
	st := stack.State()
	stored := &store.Events{DB: stack.DynamoDB, Table: st.Tables[topology.TableEvents]}
	processed := func(id string) func() bool {
		return func() bool {
			ev, err := stored.Get(context.Background(), id)
			return err == nil && ev.Status == store.StatusProcessed
		}
	}

	t.Run("health", func(t *testing.T) {
		resp, err := http.Get(st.URL + "/_dev/health")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("health: %v %v", resp, err)
		}
		resp.Body.Close()
	})

	t.Run("every provider, signed, over HTTP, processed", func(t *testing.T) {
		wd, _ := os.Getwd()
		root, _ := emulator.Root(wd)
		for _, kind := range local.ImplementedKinds(topology.Default()) {
			conn := st.Connections[kind]
			body, err := local.SampleBody(root, kind, local.DefaultSamples[kind])
			if err != nil {
				t.Fatal(err)
			}
			if body, err = local.Fresh(kind, body, time.Now()); err != nil {
				t.Fatal(err)
			}
			target, h, err := local.Sign(conn, "msg_http_"+kind, body, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			status, answer := post(t, target, h, body)
			if status != 200 {
				t.Fatalf("%s: %d %s", kind, status, answer)
			}
			var a struct {
				Data struct {
					EventID string `json:"event_id"`
					Events  []struct {
						EventID string `json:"event_id"`
					} `json:"events"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(answer), &a); err != nil {
				t.Fatal(err)
			}
			ids := []string{a.Data.EventID}
			if len(a.Data.Events) > 0 {
				ids = ids[:0]
				for _, e := range a.Data.Events {
					ids = append(ids, e.EventID)
				}
			}
			for _, id := range ids {
				if id == "" {
					t.Fatalf("%s answered no event id: %s", kind, answer)
				}
				eventually(t, 30*time.Second, kind+" event processed", processed(id))
			}
			t.Logf("%s: %d event(s) processed", kind, len(ids))
		}
	})

	t.Run("make smoke passes against the stack", func(t *testing.T) {
		wd, _ := os.Getwd()
		root, _ := emulator.Root(wd)
		conns, err := smoke.Connections(st.URL, func(string) string { return "" }, &st)
		if err != nil {
			t.Fatal(err)
		}
		results, err := smoke.Run(context.Background(), smoke.Config{BaseURL: st.URL, APIKey: st.APIKey, Root: root, Connections: conns})
		if err != nil {
			t.Fatalf("smoke: %v (found %+v)", err, results)
		}
		kinds := map[string]bool{}
		for _, r := range results {
			kinds[r.Kind] = true
		}
		if len(kinds) != len(local.ImplementedKinds(topology.Default())) {
			t.Errorf("smoke sent to %v, want every provider", kinds)
		}
	})

	t.Run("a connection made through the API receives events", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, st.URL+"/v1/connections", strings.NewReader(`{"kind":"custom","name":"via the API"}`))
		req.Header.Set("authorization", "Bearer "+st.APIKey)
		req.Header.Set("content-type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var created struct {
			Data struct {
				ID        string `json:"id"`
				IngestURL string `json:"ingest_url"`
				Secret    string `json:"secret"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&created)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 201 || created.Data.Secret == "" {
			t.Fatalf("create a connection: %d %+v %v", resp.StatusCode, created, err)
		}
		if !strings.HasPrefix(created.Data.IngestURL, st.URL+"/webhooks/custom/") {
			t.Fatalf("ingest URL %s is not on the stack", created.Data.IngestURL)
		}
		body := []byte(`{"type":"form.submitted","data":{"form_id":"f1"}}`)
		h, err := local.SignedHeaders("custom", created.Data.Secret, "msg_via_api", body, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		status, answer := post(t, created.Data.IngestURL, h, body)
		if status != 200 {
			t.Fatalf("event on the API's connection: %d %s", status, answer)
		}
		var a accepted
		_ = json.Unmarshal([]byte(answer), &a)
		eventually(t, 30*time.Second, "event on the API's connection processed", processed(a.Data.EventID))
	})

	t.Run("router answers like API Gateway", func(t *testing.T) {
		resp, err := http.Get(st.Connections["stripe"].IngestURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("allow") != "POST" {
			t.Fatalf("GET an ingest route: %d allow=%q", resp.StatusCode, resp.Header.Get("allow"))
		}
		if status, _ := post(t, st.URL+"/nowhere", nil, nil); status != 404 {
			t.Fatalf("unknown route: %d", status)
		}
	})

	t.Run("50 concurrent requests to one route", func(t *testing.T) {
		conn := st.Connections["custom"]
		var wg sync.WaitGroup
		ids := make([]string, 50)
		for i := range 50 {
			wg.Go(func() {
				body := []byte(`{"type":"payment.received","data":{"payment_id":"p` + strconv.Itoa(i) + `"}}`)
				// Every request is sent twice at once: the pair must yield one event.
				msgID := "msg_burst_" + strconv.Itoa(i/2)
				h, err := local.SignedHeaders("custom", conn.Secret, msgID, body, time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				status, answer := post(t, conn.IngestURL, h, body)
				if status != 200 {
					t.Errorf("request %d: %d %s", i, status, answer)
					return
				}
				var a accepted
				_ = json.Unmarshal([]byte(answer), &a)
				ids[i] = a.Data.EventID
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		distinct := map[string]bool{}
		for _, id := range ids {
			distinct[id] = true
		}
		if len(distinct) != 25 {
			t.Fatalf("50 requests carrying 25 message ids became %d events", len(distinct))
		}
		for id := range distinct {
			eventually(t, 30*time.Second, "burst event processed", processed(id))
		}
	})

	t.Run("a message process always fails lands in the DLQ", func(t *testing.T) {
		_, err := stack.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: aws.String(st.Queues[topology.QueueEvents]), MessageBody: aws.String(`{"event_id":"evt_never_stored"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		var body string
		eventually(t, 60*time.Second, "the poison message reaching the DLQ", func() bool {
			msgs, err := local.PeekQueue(context.Background(), stack.SQS, st.DLQs[topology.QueueEvents])
			if err != nil || len(msgs) == 0 {
				return false
			}
			body = aws.ToString(msgs[0].Body)
			return true
		})
		if body != `{"event_id":"evt_never_stored"}` {
			t.Fatalf("DLQ holds %s", body)
		}
	})

	t.Run("every sample event of every function", func(t *testing.T) {
		wd, _ := os.Getwd()
		root, _ := emulator.Root(wd)
		samples, err := local.Samples(root, st, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		covered := map[string]bool{}
		for _, s := range samples {
			covered[s.Function] = true
			payload, _ := json.Marshal(s.Payload)
			out, err := stack.Invoke(context.Background(), s.Function, payload)
			if err != nil {
				t.Fatalf("%s: %v", s.Path(), err)
			}
			switch {
			case s.WantStatus != 0:
				var resp events.APIGatewayV2HTTPResponse
				if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != s.WantStatus {
					t.Errorf("%s: answered %s, want status %d", s.Path(), out, s.WantStatus)
				}
			case s.WantEventID != "" || s.WantNoFailures:
				var resp events.SQSEventResponse
				if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
					t.Errorf("%s: answered %s, want no failures", s.Path(), out)
				}
				if s.WantEventID != "" && !processed(s.WantEventID)() {
					t.Errorf("%s: event %s not processed", s.Path(), s.WantEventID)
				}
			case s.WantNoError:
				if strings.Contains(string(out), `"errorType"`) {
					t.Errorf("%s: the invocation failed: %s", s.Path(), out)
				}
			default:
				t.Errorf("%s says nothing about its answer", s.Path())
			}
		}
		for _, name := range topology.Default().Names() {
			if !covered[name] {
				t.Errorf("function %s has no sample event", name)
			}
		}
		for _, s := range samples {
			if _, err := os.Stat(filepath.Join(root, s.Path())); err != nil {
				t.Errorf("%s is not committed under events/ (run make events)", s.Path())
			}
		}
	})

	t.Run("retries: three failures, then delivered", func(t *testing.T) {
		testRetries(t, st)
	})

	t.Run("a booking.cancelled ends in a refund on stripe-mock", func(t *testing.T) { testRefund(t, st, stack.DynamoDB) })

	t.Run("a dead endpoint does not delay a healthy one", func(t *testing.T) {
		testIsolation(t, st)
	})

	t.Run("a second stack on the same state directory is refused", func(t *testing.T) {
		wd, _ := os.Getwd()
		root, _ := emulator.Root(wd)
		_, err := local.Start(context.Background(), local.Config{Root: root, StateDir: stateDir, Addr: "127.0.0.1:0"})
		if err == nil || !strings.Contains(err.Error(), "already running") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("stopping leaves no process behind", func(t *testing.T) {
		pids := stack.State().Pids[1:]
		stack.Stop()
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("process %d survived Stop", pid)
			}
		}
		if left := processesMentioning(stateDir); len(left) > 0 {
			t.Errorf("processes still running from the stack's directory: %v", left)
		}
		st, err := local.ReadState(stateDir)
		if err != nil || st.Running {
			t.Errorf("state after Stop: running=%v err=%v", st.Running, err)
		}
	})
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// processesMentioning lists live processes whose command line mentions dir.
func processesMentioning(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmdline, []byte(dir)) && alive(pid) {
			out = append(out, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}
