package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/topology"
)

// MaxRequestBytes is API Gateway's payload limit.
const MaxRequestBytes = 10 << 20

// Invoker runs one invocation of a function.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Router plays API Gateway (HTTP API, payload format 2.0) in front of the functions.
type Router struct {
	mux   *http.ServeMux
	ready atomic.Bool
	Now   func() time.Time
}

// NewRouter routes every function route of spec to its invoker.
func NewRouter(spec topology.Spec, invokers map[string]Invoker) *Router {
	r := &Router{mux: http.NewServeMux(), Now: time.Now}
	r.mux.HandleFunc("GET /_dev/health", func(w http.ResponseWriter, _ *http.Request) {
		if !r.ready.Load() {
			http.Error(w, `{"status":"starting"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("content-type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	for _, f := range spec.Functions {
		inv, ok := invokers[f.Name]
		if !ok {
			continue
		}
		for _, route := range f.Routes {
			pattern := muxPath(route.Path)
			if route.Method != "ANY" {
				pattern = route.Method + " " + route.Path
			}
			r.mux.Handle(pattern, &routeHandler{router: r, route: route, invoker: inv})
		}
	}
	r.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
	})
	return r
}

// SetReady makes /_dev/health answer 200.
func (r *Router) SetReady() { r.ready.Store(true) }

// ServeHTTP routes req as API Gateway would.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

type routeHandler struct {
	router  *Router
	route   topology.Route
	invoker Invoker
}

// ServeHTTP turns req into a payload-2.0 event, invokes the function and answers with its response.
func (h *routeHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxRequestBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, `{"message":"Bad Request"}`)
		return
	}
	if len(body) > MaxRequestBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}
	event := h.event(req, body)
	payload, err := json.Marshal(event)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	out, err := h.invoker.Invoke(req.Context(), payload)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	writeResponse(w, out)
}

// event builds the payload-2.0 event API Gateway would send for req.
func (h *routeHandler) event(req *http.Request, body []byte) events.APIGatewayV2HTTPRequest {
	now := h.router.Now().UTC()
	headers := map[string]string{}
	for k, vs := range req.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if req.Host != "" {
		headers["host"] = req.Host
	}
	var query map[string]string
	if q := req.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	var params map[string]string
	for _, name := range pathParams(h.route.Path) {
		if params == nil {
			params = map[string]string{}
		}
		params[name] = req.PathValue(name)
	}
	sourceIP, _, _ := net.SplitHostPort(req.RemoteAddr)
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              h.route.Method + " " + h.route.Path,
		RawPath:               req.URL.Path,
		RawQueryString:        req.URL.RawQuery,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     h.route.Method + " " + h.route.Path,
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    requestID(),
			APIID:        "local",
			DomainName:   req.Host,
			DomainPrefix: "local",
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: req.Method, Path: req.URL.Path, Protocol: req.Proto, SourceIP: sourceIP, UserAgent: req.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(headers["content-type"], body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// muxPath turns an API Gateway path into a ServeMux pattern: {proxy+} matches the rest.
func muxPath(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if name, ok := strings.CutSuffix(seg, "+}"); ok {
			segs[i] = name + "...}"
		}
	}
	return strings.Join(segs, "/")
}

func pathParams(path string) []string {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"), "+"))
		}
	}
	return names
}

// isText says whether API Gateway would pass the body as text rather than base64.
func isText(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/x-www-form-urlencoded" ||
		mt == "application/javascript"
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeResponse turns a function's payload-2.0 response into the HTTP answer; a function
// error becomes 500, as API Gateway answers it.
func writeResponse(w http.ResponseWriter, out []byte) {
	var probe struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(out, &probe) == nil && probe.ErrorType != "" {
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
			return
		}
		body = decoded
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
