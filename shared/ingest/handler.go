package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/httpx"
	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/metrics"
	"github.com/wedsync/webhooks/shared/store"
)

// Limits of the ingest contract.
const (
	// MaxBodyBytes is the largest decoded body accepted, checked before verification.
	MaxBodyBytes = 1 << 20
	// MaxGzipBytes is the largest gzipped body kept, checked after verification.
	MaxGzipBytes = 300 << 10
)

// EventStore keeps events with the idempotency protocol, and enters into the sweep index
// the events it stored but could not queue.
type EventStore interface {
	PutNew(ctx context.Context, ev store.Event) (existing store.Event, duplicate bool, err error)
	EnterSweep(ctx context.Context, id string, at time.Time) error
}

// Enqueuer queues the keys of stored events: one, or many in batches.
type Enqueuer interface {
	Enqueue(ctx context.Context, eventID string) error
	EnqueueAll(ctx context.Context, eventIDs []string) error
}

// Handler answers one provider's webhook route.
type Handler struct {
	Provider    inbound.Provider
	Connections *ConnectionCache
	Events      EventStore
	Queue       Enqueuer
	Now         func() time.Time
	// Retention is how long events are kept; 0 keeps them forever.
	Retention time.Duration
	Logger    *slog.Logger
	// Metrics receives events received, rejected (by reason) and duplicates.
	Metrics *metrics.Recorder
}

// Accepted is the data of a successful answer for one event.
type Accepted struct {
	EventID   string `json:"event_id"`
	Duplicate bool   `json:"duplicate"`
}

// Handle answers an API Gateway HTTP API (payload 2.0) request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	requestID := req.RequestContext.RequestID
	accepted, probe, err := h.ingest(ctx, &req)
	log := h.Logger.With("request_id", requestID, "provider", h.Provider.Kind(), "connection_id", req.PathParameters["connectionId"])
	provider := metrics.Dim{Name: "Provider", Value: h.Provider.Kind()}
	if err != nil {
		p := httpx.ProblemFor(err)
		h.Metrics.Add("EventsRejected", metrics.Count, 1, provider, metrics.Dim{Name: "Reason", Value: p.Code})
		if p.Status >= 500 {
			log.ErrorContext(ctx, "ingest failed", "status", p.Status, "code", p.Code, "error", err.Error())
		} else {
			log.WarnContext(ctx, "ingest rejected", "status", p.Status, "code", p.Code, "reason", err.Error())
		}
		resp := httpx.Error(err, requestID)
		if errors.Is(err, inbound.ErrMethodNotAllowed) {
			resp.Headers["allow"] = strings.Join(h.methods(), ", ")
		}
		return resp, nil
	}
	if probe {
		log.InfoContext(ctx, "URL check answered", "method", req.RequestContext.HTTP.Method)
		return httpx.OK(struct{}{}), nil
	}
	for _, a := range accepted {
		log.InfoContext(ctx, "event accepted", "event_id", a.EventID, "duplicate", a.Duplicate)
		if a.Duplicate {
			h.Metrics.Add("Duplicates", metrics.Count, 1, provider)
		} else {
			h.Metrics.Add("EventsReceived", metrics.Count, 1, provider)
		}
	}
	if b, ok := h.Provider.(inbound.Batcher); ok && b.Batched() {
		batch := Batch{Events: accepted}
		for _, a := range accepted {
			if a.Duplicate {
				batch.Duplicates++
			} else {
				batch.Accepted++
			}
		}
		return httpx.OK(batch), nil
	}
	return httpx.OK(accepted[0]), nil
}

// Batch is the data of a successful answer for a request that carries many events.
type Batch struct {
	Events     []Accepted `json:"events"`
	Accepted   int        `json:"accepted"`
	Duplicates int        `json:"duplicates"`
}

// methods lists the methods the route answers.
func (h *Handler) methods() []string {
	if p, ok := h.Provider.(inbound.Prober); ok {
		return []string{http.MethodPost, p.ProbeMethod()}
	}
	return []string{http.MethodPost}
}

func (h *Handler) ingest(ctx context.Context, req *events.APIGatewayV2HTTPRequest) (accepted []Accepted, probe bool, err error) {
	method := req.RequestContext.HTTP.Method
	if !slices.Contains(h.methods(), method) {
		return nil, false, fmt.Errorf("%w: use %s", inbound.ErrMethodNotAllowed, strings.Join(h.methods(), " or "))
	}
	connID := req.PathParameters["connectionId"]
	if connID == "" {
		return nil, false, fmt.Errorf("%w: no connection id in the path", inbound.ErrConnectionNotFound)
	}
	conn, err := h.Connections.Resolve(ctx, connID)
	if err != nil {
		return nil, false, err
	}
	if conn.Connection.Status != store.ConnectionActive || !conn.Connection.TenantDisabledAt.IsZero() || conn.Connection.Kind != h.Provider.Kind() {
		return nil, false, fmt.Errorf("%w: %.64q", inbound.ErrConnectionNotFound, connID)
	}
	if method != http.MethodPost {
		return nil, true, nil
	}
	accepted, err = h.accept(ctx, req, conn)
	return accepted, false, err
}

func (h *Handler) accept(ctx context.Context, req *events.APIGatewayV2HTTPRequest, conn Resolved) ([]Accepted, error) {
	body, err := decodeBody(req)
	if err != nil {
		return nil, err
	}
	header := lowerHeaders(req.Headers)
	if err := checkMediaType(header["content-type"], h.Provider.Format()); err != nil {
		return nil, err
	}
	in := &inbound.Request{Method: req.RequestContext.HTTP.Method, Header: header, Query: req.QueryStringParameters, Body: body}
	receivedAt := h.Now().UTC()
	verified, err := h.verify(ctx, in, conn.Credentials, receivedAt)
	if err != nil {
		return nil, err
	}
	if err := checkCompressed(body); err != nil {
		return nil, err
	}
	parsed, err := h.Provider.Normalize(in, verified)
	if err != nil {
		return nil, err
	}
	_, batched := h.Provider.(inbound.Batcher)
	if len(parsed) == 0 && !batched {
		return nil, fmt.Errorf("%w: the request carries no event", inbound.ErrInvalidPayload)
	}
	evs := make([]store.Event, 0, len(parsed))
	for _, p := range parsed {
		own := body
		if p.Raw != nil {
			own = p.Raw
		}
		ev, err := h.event(conn.Connection, p, own, receivedAt)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	if batched {
		return h.keepAll(ctx, evs)
	}
	accepted := make([]Accepted, 0, len(evs))
	for _, ev := range evs {
		a, err := h.keep(ctx, ev)
		if err != nil {
			return nil, err
		}
		accepted = append(accepted, a)
	}
	return accepted, nil
}

// verify authenticates in with the request's ctx.
func (h *Handler) verify(ctx context.Context, in *inbound.Request, creds inbound.Credentials, now time.Time) (inbound.Verified, error) {
	return h.Provider.Verify(ctx, in, creds, now)
}

// keep stores ev and queues its key: two calls for a new event. A duplicate whose marker
// says it is not processed is queued again (three calls: the put, the marker's read, the
// send), since the first attempt may have stored it without queueing it; a processed one is
// not (two). When queueing fails, or the put (which may have applied), the event enters the
// sweep index.
func (h *Handler) keep(ctx context.Context, ev store.Event) (Accepted, error) {
	existing, duplicate, err := h.Events.PutNew(ctx, ev)
	if err != nil {
		h.enterSweep(ctx, []string{ev.ID})
		return Accepted{}, err
	}
	if duplicate && existing.Status == store.StatusProcessed {
		return Accepted{EventID: ev.ID, Duplicate: true}, nil
	}
	if err := h.Queue.Enqueue(ctx, ev.ID); err != nil {
		h.enterSweep(ctx, []string{ev.ID})
		return Accepted{}, fmt.Errorf("%w: %w", inbound.ErrEnqueueFailed, err)
	}
	return Accepted{EventID: ev.ID, Duplicate: duplicate}, nil
}

// Envelope builds the normalized envelope of a parsed provider event, its data brought to
// the latest event version (the version events are stored at).
func Envelope(conn store.Connection, p inbound.Parsed, receivedAt time.Time) envelope.Envelope {
	id := envelope.EventID(conn.ID, p.DedupeKey)
	t := p.Time
	if t.IsZero() {
		t = receivedAt
	}
	return envelope.Envelope{
		SpecVersion:     envelope.SpecVersion,
		ID:              id,
		Type:            p.Type,
		Source:          "wedsync/" + conn.Kind,
		Time:            t.UTC(),
		DataContentType: "application/json",
		TenantID:        conn.TenantID,
		ConnectionID:    conn.ID,
		Provider:        conn.Kind,
		ProviderEventID: p.ProviderEventID,
		ProviderType:    p.ProviderType,
		CorrelationID:   id,
		Origin:          envelope.OriginProvider,
		EventVersion:    envelope.Version,
		Data:            envelope.Upgrade(p.Type, p.Data),
	}
}

func (h *Handler) event(conn store.Connection, p inbound.Parsed, raw []byte, receivedAt time.Time) (store.Event, error) {
	env := Envelope(conn, p, receivedAt)
	b, err := json.Marshal(env)
	if err != nil {
		return store.Event{}, fmt.Errorf("%w: data is not valid JSON", inbound.ErrInvalidPayload)
	}
	ev := store.Event{
		ID:            env.ID,
		TenantID:      env.TenantID,
		ConnectionID:  env.ConnectionID,
		Type:          env.Type,
		CorrelationID: env.CorrelationID,
		Time:          env.Time,
		Envelope:      b,
		Raw:           raw,
		ReceivedAt:    receivedAt,
	}
	if h.Retention > 0 {
		ev.ExpiresAt = receivedAt.Add(h.Retention)
	}
	if ev.Body, err = store.EncodeBody(b, raw); err != nil {
		return store.Event{}, err
	}
	if size := store.ItemSize(ev); size > store.MaxItemBytes {
		return store.Event{}, fmt.Errorf("%w: the event needs %d bytes of storage, over %d", inbound.ErrPayloadTooLarge, size, store.MaxItemBytes)
	}
	return ev, nil
}

func decodeBody(req *events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBodyBytes {
			return nil, fmt.Errorf("%w: the body is over %d bytes", inbound.ErrPayloadTooLarge, MaxBodyBytes)
		}
		return []byte(req.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBodyBytes+2 {
		return nil, fmt.Errorf("%w: the body is over %d bytes", inbound.ErrPayloadTooLarge, MaxBodyBytes)
	}
	body, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: the body is not valid base64", inbound.ErrInvalidPayload)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: the body is over %d bytes", inbound.ErrPayloadTooLarge, MaxBodyBytes)
	}
	return body, nil
}

func lowerHeaders(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[strings.ToLower(k)] = v
	}
	return out
}

func checkMediaType(contentType string, format inbound.BodyFormat) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch format {
		case inbound.FormatJSON:
			if mt == "application/json" || strings.HasSuffix(mt, "+json") {
				return nil
			}
		case inbound.FormatForm:
			if mt == "application/x-www-form-urlencoded" {
				return nil
			}
		}
	}
	want := "application/json"
	if format == inbound.FormatForm {
		want = "application/x-www-form-urlencoded"
	}
	return fmt.Errorf("%w: send %s", inbound.ErrUnsupportedMediaType, want)
}

// gzipSlack bounds how much gzip can grow a body that does not compress (deflate's stored
// blocks and gzip's header and trailer), so only bodies near MaxGzipBytes need compressing
// to be checked.
const gzipSlack = 1 << 10

// checkCompressed refuses a body whose gzip exceeds MaxGzipBytes.
func checkCompressed(body []byte) error {
	if len(body)+gzipSlack <= MaxGzipBytes {
		return nil
	}
	gz, err := gzipBody(body)
	if err != nil {
		return err
	}
	if len(gz) > MaxGzipBytes {
		return fmt.Errorf("%w: the body compresses to %d bytes, over %d", inbound.ErrPayloadTooLarge, len(gz), MaxGzipBytes)
	}
	return nil
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gzipBody(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	return buf.Bytes(), nil
}
