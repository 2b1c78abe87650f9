package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
)

// Limits are what each tenant may do on the management API. Rates answer 429 RATE_LIMITED
// with Retry-After; count quotas, which waiting does not free, answer 409 QUOTA_EXCEEDED.
// A zero field takes its default.
type Limits struct {
	// RequestsPerSecond is the tenant's rate on every /v1 route.
	RequestsPerSecond int
	// Subscriptions and Connections are how many the tenant may keep; the stores count
	// them (store.Quota).
	Subscriptions int
	Connections   int
	// ReplaysPerMinute, RecoversPerMinute and TestEventsPerMinute bound event replays,
	// subscription recoveries and test events, each in fixed one-minute windows.
	ReplaysPerMinute    int
	RecoversPerMinute   int
	TestEventsPerMinute int
}

// DefaultLimits are the limits of a deployment that sets none.
var DefaultLimits = Limits{
	RequestsPerSecond: DefaultRatePerSecond, Subscriptions: 50, Connections: 20,
	ReplaysPerMinute: 60, RecoversPerMinute: 10, TestEventsPerMinute: 30,
}

// limitVars are the environment variables that carry each limit to the api function.
var limitVars = []struct {
	name  string
	field func(*Limits) *int
}{
	{"WEDSYNC_RATE_API_PER_SECOND", func(l *Limits) *int { return &l.RequestsPerSecond }},
	{"WEDSYNC_QUOTA_SUBSCRIPTIONS", func(l *Limits) *int { return &l.Subscriptions }},
	{"WEDSYNC_QUOTA_CONNECTIONS", func(l *Limits) *int { return &l.Connections }},
	{"WEDSYNC_RATE_REPLAYS_PER_MINUTE", func(l *Limits) *int { return &l.ReplaysPerMinute }},
	{"WEDSYNC_RATE_RECOVERS_PER_MINUTE", func(l *Limits) *int { return &l.RecoversPerMinute }},
	{"WEDSYNC_RATE_TEST_EVENTS_PER_MINUTE", func(l *Limits) *int { return &l.TestEventsPerMinute }},
}

// Env is the api function's environment for l, defaults filled in.
func (l Limits) Env() map[string]string {
	l = l.withDefaults()
	env := make(map[string]string, len(limitVars))
	for _, v := range limitVars {
		env[v.name] = strconv.Itoa(*v.field(&l))
	}
	return env
}

// ReadLimits reads the limits through v; an unset variable takes its default, and each one
// that is not a positive integer is a problem of v.
func ReadLimits(v *config.Vars) Limits {
	l := DefaultLimits
	for _, lv := range limitVars {
		*lv.field(&l) = v.PositiveInt(lv.name, *lv.field(&DefaultLimits))
	}
	return l
}

func (l Limits) withDefaults() Limits {
	for _, v := range limitVars {
		if f := v.field(&l); *f <= 0 {
			*f = *v.field(&DefaultLimits)
		}
	}
	return l
}

// rateWindow is the window of the per-operation rates.
const rateWindow = time.Minute

// operationRate is the per-minute rate of the operation at the route pattern, if it has one.
func (l Limits) operationRate(pattern string) (what string, perMinute int) {
	l = l.withDefaults()
	switch pattern {
	case http.MethodPost + " /v1/events/{id}/replay":
		return "replays", l.ReplaysPerMinute
	case http.MethodPost + " /v1/subscriptions/{id}/recover":
		return "recoveries", l.RecoversPerMinute
	case http.MethodPost + " /v1/subscriptions/{id}/test":
		return "test events", l.TestEventsPerMinute
	}
	return "", 0
}

// limitOperation answers 429 with Retry-After when the request's operation has a rate of its
// own and the tenant used it up this minute, and reports whether it answered. It counts
// before the operation runs (and before Idempotency-Key), like the request rate; a failing
// count lets the request through.
func (s *Server) limitOperation(w http.ResponseWriter, r *http.Request, tenant string) bool {
	if s.RateLimits == nil {
		return false
	}
	_, pattern := s.mux.Handler(r)
	what, perMinute := s.Limits.operationRate(pattern)
	if perMinute == 0 {
		return false
	}
	ctx, now := r.Context(), s.Now()
	ok, retryAt, err := s.RateLimits.TakeWindow(ctx, strings.ReplaceAll(what, " ", "-")+"#"+tenant, perMinute, rateWindow, now)
	if err != nil {
		s.Logger.ErrorContext(ctx, "rate limit failed", "request_id", requestID(ctx), "error", err.Error())
		return false
	}
	if ok {
		return false
	}
	wait := max(1, int(math.Ceil(retryAt.Sub(now).Seconds())))
	w.Header().Set("retry-after", strconv.Itoa(wait))
	writeError(w, newError(ctx, http.StatusTooManyRequests,
		fmt.Sprintf("at most %d %s a minute; retry after %d seconds", perMinute, what, wait)))
	return true
}

// codeQuotaExceeded is the code of a 409 that only a delete frees.
const codeQuotaExceeded = "QUOTA_EXCEEDED"

// quotaExceeded is the answer to a create over the tenant's quota.
func quotaExceeded(ctx context.Context, q *store.QuotaError) *Error {
	what := strings.TrimSuffix(q.Kind, "s")
	e := newError(ctx, http.StatusConflict, fmt.Sprintf("this tenant already has %d %s, its quota; delete a %s first", q.Limit, q.Kind, what))
	e.Problem.Code = codeQuotaExceeded
	return e
}

// asQuotaExceeded is the answer to err when it is a quota refusal.
func asQuotaExceeded(ctx context.Context, err error) (*Error, bool) {
	var q *store.QuotaError
	if !errors.As(err, &q) {
		return nil, false
	}
	return quotaExceeded(ctx, q), true
}

// documentLimits adds the limits' answers to the OpenAPI document: 429 on every operation,
// 409 QUOTA_EXCEEDED on the creates that a quota bounds, and the secret sets' bound on the
// rotations.
func (s *Server) documentLimits() {
	l := s.Limits.withDefaults()
	errorBody := func() map[string]*huma.MediaType {
		return map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{Ref: "#/components/schemas/Error"}}}
	}
	retryAfter := map[string]*huma.Param{"Retry-After": {
		Description: "Seconds to wait before the next request counts again.", Schema: &huma.Schema{Type: "integer", Minimum: ptr(1.0)},
	}}
	quotas := map[string]string{
		"create-subscription": fmt.Sprintf("QUOTA_EXCEEDED: the tenant already keeps %d subscriptions (delete one first).", l.Subscriptions),
		"create-connection":   fmt.Sprintf("QUOTA_EXCEEDED: the tenant already keeps %d connections (delete one first).", l.Connections),
	}
	for _, item := range s.api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPatch: item.Patch, http.MethodPut: item.Put, http.MethodDelete: item.Delete} {
			if op == nil {
				continue
			}
			why := fmt.Sprintf("RATE_LIMITED: more than %d requests a second from the tenant.", l.RequestsPerSecond)
			if what, perMinute := l.operationRate(method + " " + op.Path); perMinute > 0 {
				why += fmt.Sprintf(" Also more than %d %s a minute.", perMinute, what)
			}
			op.Responses["429"] = &huma.Response{Description: why, Headers: retryAfter, Content: errorBody()}
			if q, ok := quotas[op.OperationID]; ok {
				op.Responses["409"] = &huma.Response{Description: q, Content: errorBody()}
			}
			if strings.HasPrefix(op.OperationID, "rotate-") {
				op.Description = fmt.Sprintf("The replaced secret stays valid for 24 hours, but at most %d secrets are kept: "+
					"rotating again within 24 hours drops the oldest at once.", secrets.MaxSecrets)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
