package local_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wedsync/webhooks/infra/local"
)

// hook is a loopback subscriber that answers each request with the next status of its
// script (0 hangs until the caller gives up) and records what it got.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	got    []hit
	script []int
	stop   chan struct{}
}

type hit struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newHook(t *testing.T, script ...int) *hook {
	h := &hook{script: script, stop: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, hit{header: r.Header.Clone(), body: body, at: time.Now()})
		status := h.script[min(len(h.got), len(h.script))-1]
		h.mu.Unlock()
		if status == 0 {
			select {
			case <-r.Context().Done():
			case <-h.stop:
			}
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() { close(h.stop); h.Close() })
	return h
}

func (h *hook) hits() []hit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// apiCall sends one management API request to the stack.
func apiCall(t *testing.T, st local.State, method, path string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, st.URL+path, bytes.NewReader(b))
	req.Header.Set("authorization", "Bearer "+st.APIKey)
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &env); err == nil && out != nil {
		_ = json.Unmarshal(env.Data, out)
	}
	return resp.StatusCode
}

type createdSub struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

func subscribe(t *testing.T, st local.State, url string, types ...string) createdSub {
	t.Helper()
	var sub createdSub
	if code := apiCall(t, st, "POST", "/v1/subscriptions", map[string]any{"endpoint_url": url, "event_types": types}, &sub); code != 201 {
		t.Fatalf("subscribe %s: %d", url, code)
	}
	return sub
}

// sendCustom posts a signed custom event of typ and returns its event id and when it was sent.
func sendCustom(t *testing.T, st local.State, typ, msgID string) (string, time.Time) {
	t.Helper()
	conn := st.Connections["custom"]
	body := []byte(`{"type":"` + typ + `","data":{"n":"` + msgID + `"}}`)
	h, err := local.SignedHeaders("custom", conn.Secret, msgID, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	status, answer := post(t, conn.IngestURL, h, body)
	if status != 200 {
		t.Fatalf("send %s: %d %s", msgID, status, answer)
	}
	var a accepted
	_ = json.Unmarshal([]byte(answer), &a)
	return a.Data.EventID, sent
}

// testRetries: a subscriber that fails three times receives the fourth attempt; each
// attempt is its own invocation, spaced by the scaled waits, freshly timestamped, with one
// webhook-id; the attempt log holds all four.
func testRetries(t *testing.T, st local.State) {
	h := newHook(t, 500, 503, 500, 200)
	sub := subscribe(t, st, h.URL+"/retries", "form.updated")
	sendCustom(t, st, "form.updated", "msg_retry_1")
	eventually(t, 30*time.Second, "the fourth attempt", func() bool { return len(h.hits()) >= 4 })
	hits := h.hits()
	if len(hits) != 4 {
		t.Fatalf("%d attempts, want 4", len(hits))
	}
	wh, err := standardwebhooks.NewWebhook(sub.Secret)
	if err != nil {
		t.Fatal(err)
	}
	waits := []time.Duration{10 * time.Millisecond, 600 * time.Millisecond, 3600 * time.Millisecond}
	for i, hit := range hits {
		if err := wh.Verify(hit.body, hit.header); err != nil {
			t.Errorf("attempt %d does not verify: %v", i+1, err)
		}
		if hit.header.Get("webhook-id") != hits[0].header.Get("webhook-id") {
			t.Errorf("attempt %d has another webhook-id", i+1)
		}
		if i == 0 {
			continue
		}
		if gap, min := hit.at.Sub(hits[i-1].at), waits[i-1]*8/10; gap < min {
			t.Errorf("attempt %d came %s after the previous one, before the scaled wait %s", i+1, gap, min)
		}
		prev, _ := strconv.ParseInt(hits[i-1].header.Get("webhook-timestamp"), 10, 64)
		this, _ := strconv.ParseInt(hit.header.Get("webhook-timestamp"), 10, 64)
		if at := hit.at.Unix(); this < prev || this < at-1 || this > at {
			t.Errorf("attempt %d is not freshly timestamped (%d after %d, arrived at %d)", i+1, this, prev, at)
		}
	}
	var page struct {
		Deliveries []struct {
			Status   string `json:"status"`
			Attempts []struct {
				StatusCode int `json:"status_code"`
			} `json:"attempts"`
		} `json:"deliveries"`
	}
	eventually(t, 10*time.Second, "the attempt log", func() bool {
		apiCall(t, st, "GET", "/v1/deliveries?subscription_id="+sub.ID, nil, &page)
		return len(page.Deliveries) == 1 && page.Deliveries[0].Status == "delivered"
	})
	var codes []int
	for _, a := range page.Deliveries[0].Attempts {
		codes = append(codes, a.StatusCode)
	}
	if !slices.Equal(codes, []int{500, 503, 500, 200}) {
		t.Fatalf("attempt log %v", codes)
	}
}

// testIsolation: with one endpoint hanging until the attempt times out, a healthy
// endpoint's p99 delivery latency stays under 2 s, and the dead endpoint's breaker opens.
func testIsolation(t *testing.T, st local.State) {
	dead := newHook(t, 0)
	healthy := newHook(t, 200)
	deadSub := subscribe(t, st, dead.URL+"/dead", "review.received")
	subscribe(t, st, healthy.URL+"/healthy", "review.received")
	const n = 30
	sent := map[string]time.Time{}
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := range n {
		id, at := sendCustom(t, st, "review.received", "msg_iso_"+strconv.Itoa(i))
		sent[id] = at
		<-tick.C
	}
	eventually(t, 60*time.Second, "every healthy delivery", func() bool { return len(healthy.hits()) >= n })
	var latencies []time.Duration
	for _, hit := range healthy.hits() {
		var ev struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(hit.body, &ev)
		latencies = append(latencies, hit.at.Sub(sent[ev.ID]))
	}
	slices.Sort(latencies)
	p99 := latencies[(len(latencies)*99+99)/100-1]
	t.Logf("healthy endpoint: %d deliveries, p50 %s, p99 %s", len(latencies), latencies[len(latencies)/2], p99)
	if p99 >= 2*time.Second {
		t.Fatalf("healthy p99 %s ≥ 2 s beside a dead endpoint", p99)
	}
	eventually(t, 60*time.Second, "the dead endpoint's breaker opening", func() bool {
		return len(dead.hits()) >= 5
	})
	elapsed := time.Since(start)
	if got, most := len(dead.hits()), 2*(int(elapsed/deadTimeout)+1); got > most {
		t.Fatalf("the dead endpoint got %d attempts in %s; two at a time allow %d", got, elapsed, most)
	}
	var page struct {
		Deliveries []struct {
			Status   string            `json:"status"`
			Attempts []json.RawMessage `json:"attempts"`
		} `json:"deliveries"`
	}
	apiCall(t, st, "GET", "/v1/deliveries?subscription_id="+deadSub.ID+"&limit=100", nil, &page)
	held := 0
	for _, d := range page.Deliveries {
		if d.Status != "delivered" && len(d.Attempts) == 0 {
			held++
		}
	}
	if held == 0 {
		t.Fatalf("no delivery of the dead endpoint is held: %+v", page.Deliveries)
	}
	t.Logf("dead endpoint: %d POSTs in %s, %d of %d deliveries held without an attempt", len(dead.hits()), elapsed.Round(time.Millisecond), held, len(page.Deliveries))
}
