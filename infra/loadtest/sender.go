package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/topology"
)

// Sample is one provider sample the sender posts, made fresh each time.
type Sample struct {
	Kind, Name string
	Body       []byte
}

// Samples lists every provider's samples under shared/providers/<kind>/testdata, in a
// fixed order.
func Samples(root string) ([]Sample, error) {
	var out []Sample
	for _, kind := range local.ImplementedKinds(topology.Default()) {
		dir := filepath.Join(root, "shared", "providers", kind, "testdata")
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		ext := ".json"
		if kind == "mailchimp" {
			ext = ".form"
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ext)
			if e.IsDir() || !ok {
				continue
			}
			body, err := local.SampleBody(root, kind, name)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Kind: kind, Name: name, Body: body})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no provider samples under %s/shared/providers", root)
	}
	return out, nil
}

// Send is one signed ingest request and what became of it.
type Send struct {
	Seq    int
	Kind   string
	Sample string
	// Attempts is how many times it was posted (a provider retries a 5xx).
	Attempts  int
	Latencies []time.Duration
	Status    int
	Err       string
	// EventIDs are the events the answer accepted (several for a Mandrill batch).
	EventIDs []string
	Started  time.Time
	Answered time.Time
}

// Accepted reports whether the request was answered 2xx.
func (s Send) Accepted() bool { return s.Status/100 == 2 }

// Sender posts signed samples to the stack at a fixed rate, as the providers would, and
// retries a 5xx or a failed connection up to MaxAttempts times, as they do.
type Sender struct {
	State       local.State
	Samples     []Sample
	Rate        float64
	InFlight    int
	MaxAttempts int
	Client      *http.Client
	// Prefix makes message ids unique to the run.
	Prefix string

	mu    sync.Mutex
	sends []Send
	done  int
}

// Progress returns how many requests have been answered and how many were accepted.
func (s *Sender) Progress() (answered, accepted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.sends {
		if r.Accepted() {
			accepted++
		}
	}
	return s.done, accepted
}

// Run sends n requests, the i-th at start + i/rate (later when InFlight are under way),
// and returns every request's outcome.
func (s *Sender) Run(ctx context.Context, n int) []Send {
	sem := make(chan struct{}, s.InFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(float64(i) / s.Rate * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r := s.send(ctx, i)
			s.mu.Lock()
			s.sends = append(s.sends, r)
			s.done++
			s.mu.Unlock()
		})
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.sends)
	slices.SortFunc(out, func(a, b Send) int { return a.Seq - b.Seq })
	return out
}

func (s *Sender) send(ctx context.Context, seq int) Send {
	sample := s.Samples[seq%len(s.Samples)]
	r := Send{Seq: seq, Kind: sample.Kind, Sample: sample.Name, Started: time.Now()}
	conn, ok := s.State.Connections[sample.Kind]
	if !ok {
		r.Err = "no " + sample.Kind + " connection"
		return r
	}
	body, err := local.Fresh(sample.Kind, sample.Body, r.Started.Add(time.Duration(seq)))
	if err != nil {
		r.Err = err.Error()
		return r
	}
	msgID := s.Prefix + strconv.Itoa(seq)
	for r.Attempts < max(s.MaxAttempts, 1) && ctx.Err() == nil {
		if r.Attempts > 0 {
			t := time.NewTimer(time.Duration(r.Attempts*r.Attempts) * 200 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		r.Attempts++
		began := time.Now()
		status, answer, err := s.post(ctx, conn, msgID, body)
		r.Answered = time.Now()
		r.Latencies = append(r.Latencies, r.Answered.Sub(began))
		r.Status, r.Err = status, ""
		if err != nil {
			r.Err = err.Error()
			continue
		}
		if status/100 == 2 {
			r.EventIDs = eventIDs(answer)
			return r
		}
		r.Err = strings.TrimSpace(string(answer))
		if status < 500 {
			return r
		}
	}
	return r
}

func (s *Sender) post(ctx context.Context, conn local.ConnectionState, msgID string, body []byte) (int, []byte, error) {
	target, headers, err := local.Sign(conn, msgID, body, time.Now())
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// eventIDs reads the accepted events of an ingest answer: data.event_id, or one per
// element of data.events for a batch.
func eventIDs(answer []byte) []string {
	var a struct {
		Data struct {
			EventID string `json:"event_id"`
			Events  []struct {
				EventID string `json:"event_id"`
			} `json:"events"`
		} `json:"data"`
	}
	if json.Unmarshal(answer, &a) != nil {
		return nil
	}
	if len(a.Data.Events) > 0 {
		ids := make([]string, 0, len(a.Data.Events))
		for _, e := range a.Data.Events {
			ids = append(ids, e.EventID)
		}
		return ids
	}
	if a.Data.EventID == "" {
		return nil
	}
	return []string{a.Data.EventID}
}
