package loadtest

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// Arrival is one POST a subscriber received.
type Arrival struct {
	Subscriber string    `json:"subscriber"`
	WebhookID  string    `json:"webhook_id"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"type"`
	At         time.Time `json:"at"`
	// Status is what the subscriber answered.
	Status      int  `json:"status"`
	SignatureOK bool `json:"signature_ok"`
}

// Hook is a loopback subscriber: it verifies each POST's Standard Webhooks signature,
// answers as its Subscriber says, and records every arrival.
type Hook struct {
	Spec Subscriber
	URL  string

	keys     atomic.Pointer[[][]byte]
	server   *http.Server
	stop     chan struct{}
	closing  sync.Once
	mu       sync.Mutex
	rand     *rand.Rand
	arrivals []Arrival
}

// StartHook starts a subscriber on a free 127.0.0.1 port; a dead one gets a port nothing
// listens on.
func StartHook(spec Subscriber, seed uint64) (*Hook, error) {
	h := &Hook{Spec: spec, stop: make(chan struct{}), rand: rand.New(rand.NewPCG(seed, uint64(len(spec.Name))))}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h.URL = "http://" + l.Addr().String() + "/" + spec.Name
	if spec.Dead {
		return h, l.Close()
	}
	h.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.server.Serve(l) }()
	return h, nil
}

// SetSecret gives the hook the subscription's signing secret.
func (h *Hook) SetSecret(secret string) error {
	key, err := stdwebhooks.DecodeSecret(secret)
	if err != nil {
		return err
	}
	keys := [][]byte{key}
	h.keys.Store(&keys)
	return nil
}

// ServeHTTP verifies, records and answers one POST.
func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	a := Arrival{Subscriber: h.Spec.Name, WebhookID: r.Header.Get(stdwebhooks.HeaderID), At: at}
	var keys [][]byte
	if k := h.keys.Load(); k != nil {
		keys = *k
	}
	_, err = stdwebhooks.Verify(a.WebhookID, r.Header.Get(stdwebhooks.HeaderTimestamp), r.Header.Get(stdwebhooks.HeaderSignature),
		body, keys, at, stdwebhooks.Tolerance)
	a.SignatureOK = err == nil
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &ev)
	a.EventID, a.EventType = ev.ID, ev.Type
	h.mu.Lock()
	fail := h.rand.Float64() < h.Spec.FailShare
	h.mu.Unlock()
	switch {
	case !a.SignatureOK:
		a.Status = http.StatusBadRequest
	case fail:
		a.Status = http.StatusInternalServerError
	default:
		a.Status = http.StatusOK
	}
	if h.Spec.Delay > 0 && a.Status == http.StatusOK {
		t := time.NewTimer(h.Spec.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			a.Status = 0
		case <-h.stop:
			t.Stop()
			a.Status = 0
		}
	}
	h.record(a)
	if a.Status != 0 {
		w.Header().Set("content-type", "application/json")
		w.WriteHeader(a.Status)
		_, _ = io.WriteString(w, `{"status":`+strconv.Itoa(a.Status)+`}`)
	}
}

func (h *Hook) record(a Arrival) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.arrivals = append(h.arrivals, a)
}

// Arrivals returns what the hook received so far.
func (h *Hook) Arrivals() []Arrival {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Arrival(nil), h.arrivals...)
}

// Count returns how many POSTs the hook answered 2xx so far.
func (h *Hook) Count() (posts, ok int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.arrivals {
		if a.Status/100 == 2 {
			ok++
		}
	}
	return len(h.arrivals), ok
}

// Close stops the hook; slow answers under way are abandoned.
func (h *Hook) Close() {
	if h.server == nil {
		return
	}
	h.closing.Do(func() {
		close(h.stop)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := h.server.Shutdown(ctx); err != nil {
			_ = h.server.Close()
		}
	})
}
