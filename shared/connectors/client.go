package connectors

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// Options build one connection's client.
type Options struct {
	// Provider is the provider as resolved for the stage (see Resolve): its Hosts are the
	// only hosts the client calls.
	Provider Provider
	// Auth puts the connection's credentials on each try; nil sends none.
	Auth Auth
	// Limiter books each try's slot of the connection's rate limit; nil means unlimited.
	Limiter Limiter
	// CacheTTL keeps 200 answers to GETs that long; 0 disables the cache.
	CacheTTL time.Duration
	// Retry is the retry policy; zero means DefaultRetry with jitter.
	Retry Retry
	Clock Clock
	// Transport is the base transport; nil means NewTransport().
	Transport http.RoundTripper
}

// New builds the client: host allow-list → GET cache → retries → rate limit → credentials →
// per-try timeout → transport. It never follows a redirect.
func New(o Options) *http.Client {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Retry.Attempts == 0 {
		o.Retry = DefaultRetry
		o.Retry.Rand = rand.Float64
	}
	timeout := o.Provider.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var rt http.RoundTripper = o.Transport
	if rt == nil {
		rt = NewTransport()
	}
	rt = attempt{timeout: timeout, next: rt}
	if o.Auth != nil {
		rt = authorize{auth: o.Auth, next: rt}
	}
	if o.Limiter != nil {
		rt = limit{limiter: o.Limiter, next: rt}
	}
	rt = retrier{provider: o.Provider, policy: o.Retry, clock: o.Clock, next: rt}
	if o.CacheTTL > 0 {
		rt = &cache{ttl: o.CacheTTL, clock: o.Clock, next: rt}
	}
	rt = hostGuard{provider: o.Provider.Kind, hosts: o.Provider.Hosts, next: rt}
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// TokenClient is the client that calls a provider's OAuth2 token endpoint: the same host
// allow-list and per-try timeout, no credentials of the connection, no retries (a refresh
// token may be single-use).
func TokenClient(p Provider, transport http.RoundTripper) *http.Client {
	if transport == nil {
		transport = NewTransport()
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{
		Transport:     hostGuard{provider: p.Kind, hosts: p.Hosts, next: attempt{timeout: timeout, next: transport}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
