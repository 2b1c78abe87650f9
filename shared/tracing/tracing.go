package tracing

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"
)

// HeaderName is the trace header AWS services read.
const HeaderName = "X-Amzn-Trace-Id"

// lambdaTraceKey is the context key aws-lambda-go stores the invocation's trace header under.
const lambdaTraceKey = "x-amzn-trace-id"

// Emitter sends subsegments to the X-Ray daemon. A nil Emitter sends nothing, so callers
// need not check whether tracing is on.
type Emitter struct {
	addr string
	once sync.Once
	conn net.Conn
	// Now is the clock of subsegment times; nil means time.Now.
	Now func() time.Time
}

// New returns an emitter to the daemon at addr (AWS_XRAY_DAEMON_ADDRESS: "host:port", or
// "udp:host:port tcp:host:port"); nil when addr is empty.
func New(addr string) *Emitter {
	for _, part := range strings.Fields(addr) {
		if rest, ok := strings.CutPrefix(part, "udp:"); ok {
			addr = rest
		} else if !strings.Contains(part, "tcp:") {
			addr = part
		}
	}
	if addr == "" {
		return nil
	}
	return &Emitter{addr: addr}
}

// Header is a parsed trace header: Root=…;Parent=…;Sampled=1.
type Header struct {
	Root, Parent string
	Sampled      bool
}

// ParseHeader reads a trace header; ok is false when it carries no root or parent.
func ParseHeader(v string) (h Header, ok bool) {
	for _, part := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			h.Root = val
		case "Parent":
			h.Parent = val
		case "Sampled":
			h.Sampled = val == "1"
		}
	}
	return h, h.Root != "" && h.Parent != ""
}

// String renders the header.
func (h Header) String() string {
	sampled := "0"
	if h.Sampled {
		sampled = "1"
	}
	return "Root=" + h.Root + ";Parent=" + h.Parent + ";Sampled=" + sampled
}

type parentKey struct{}

// WithParent returns ctx whose calls are traced under h (tests, or a caller that is not a
// Lambda invocation); the invocation's own header is found without it.
func WithParent(ctx context.Context, h Header) context.Context {
	return context.WithValue(ctx, parentKey{}, h)
}

// parent is the sampled trace ctx's calls belong to.
func parent(ctx context.Context) (Header, bool) {
	if h, ok := ctx.Value(parentKey{}).(Header); ok {
		return h, h.Sampled
	}
	v, _ := ctx.Value(lambdaTraceKey).(string)
	h, ok := ParseHeader(v)
	return h, ok && h.Sampled
}

// Subsegment is one traced call, as the daemon takes it.
type Subsegment struct {
	Name      string         `json:"name"`
	ID        string         `json:"id"`
	TraceID   string         `json:"trace_id"`
	ParentID  string         `json:"parent_id"`
	StartTime float64        `json:"start_time"`
	EndTime   float64        `json:"end_time"`
	Type      string         `json:"type"`
	Namespace string         `json:"namespace"`
	AWS       map[string]any `json:"aws,omitempty"`
	HTTP      *HTTP          `json:"http,omitempty"`
	Error     bool           `json:"error,omitempty"`
	Throttle  bool           `json:"throttle,omitempty"`
	Fault     bool           `json:"fault,omitempty"`
}

// HTTP is a subsegment's request and response.
type HTTP struct {
	Request  *HTTPRequest  `json:"request,omitempty"`
	Response *HTTPResponse `json:"response,omitempty"`
}

// HTTPRequest is what was sent.
type HTTPRequest struct {
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
}

// HTTPResponse is what came back.
type HTTPResponse struct {
	Status        int   `json:"status,omitempty"`
	ContentLength int64 `json:"content_length,omitempty"`
}

// start opens a subsegment under ctx's sampled trace; nil when there is none.
func (e *Emitter) start(ctx context.Context, name, namespace string) *Subsegment {
	if e == nil {
		return nil
	}
	h, ok := parent(ctx)
	if !ok {
		return nil
	}
	var id [8]byte
	for i := range id {
		id[i] = byte(rand.Uint32())
	}
	return &Subsegment{Name: name, ID: hex.EncodeToString(id[:]), TraceID: h.Root, ParentID: h.Parent,
		StartTime: e.seconds(), Type: "subsegment", Namespace: namespace}
}

// header is the trace header a call made inside s carries downstream.
func (s *Subsegment) header() string {
	return Header{Root: s.TraceID, Parent: s.ID, Sampled: true}.String()
}

// classify sets the error flags of a finished call from its status and whether it failed.
func (s *Subsegment) classify(status int, failed, throttled bool) {
	switch {
	case throttled || status == 429:
		s.Error, s.Throttle = true, true
	case status >= 500 || (failed && status == 0):
		s.Fault = true
	case status >= 400 || failed:
		s.Error = true
	}
}

// end closes s and sends it; a send that fails is dropped, as the X-Ray SDK does.
func (e *Emitter) end(s *Subsegment) {
	if e == nil || s == nil {
		return
	}
	s.EndTime = e.seconds()
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	e.once.Do(func() { e.conn, _ = net.Dial("udp", e.addr) })
	if e.conn == nil {
		return
	}
	_, _ = e.conn.Write(append([]byte("{\"format\": \"json\", \"version\": 1}\n"), b...))
}

func (e *Emitter) seconds() float64 {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	return float64(now().UnixMicro()) / 1e6
}
