package connectors

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// Verdict is what to do with a provider's error answer.
type Verdict int

// Verdicts.
const (
	// VerdictByStatus: retry 429 and 5xx, as any provider.
	VerdictByStatus Verdict = iota
	// VerdictRetry: the provider refused and did nothing; trying again is safe.
	VerdictRetry
	// VerdictFinal: the provider refused for good; never retry.
	VerdictFinal
)

// Rate is a provider's rate limit per connection: PerMinute calls, Burst at once.
type Rate struct {
	PerMinute int
	Burst     int
}

// Bucket is the rate as a token bucket.
func (r Rate) Bucket() store.Bucket {
	return store.Bucket{Interval: time.Minute / time.Duration(max(r.PerMinute, 1)), Burst: max(r.Burst, 1)}
}

// Provider is what the stack knows of one provider's API.
type Provider struct {
	Kind string
	// BaseURL is where its API lives; TokenURL is its OAuth2 token endpoint, when it has one.
	BaseURL, TokenURL string
	// Hosts are its documented API hosts: the only ones a deployed stage may call.
	Hosts   []string
	Timeout time.Duration
	Rate    Rate
	// IdempotencyHeader is the header that makes a write safe to retry, when it has one.
	IdempotencyHeader string
	// Classify, when set, judges an error answer by its body.
	Classify func(status int, body []byte) Verdict
}

// The providers we call, as documented. Rates and timeouts are the original connector
// defaults where it set them.
var (
	Stripe = Provider{Kind: "stripe", BaseURL: "https://api.stripe.com", Hosts: []string{"api.stripe.com"},
		Timeout: 10 * time.Second, Rate: Rate{PerMinute: 100, Burst: 10}, IdempotencyHeader: "Idempotency-Key"}
	Calendly = Provider{Kind: "calendly", BaseURL: "https://api.calendly.com", TokenURL: "https://auth.calendly.com/oauth/token",
		Hosts: []string{"api.calendly.com", "auth.calendly.com"}, Timeout: 15 * time.Second, Rate: Rate{PerMinute: 50, Burst: 5}}
	Mandrill = Provider{Kind: "mandrill", BaseURL: "https://mandrillapp.com/api/1.0", Hosts: []string{"mandrillapp.com"},
		Timeout: 15 * time.Second, Rate: Rate{PerMinute: 300, Burst: 10}, Classify: mandrillVerdict}
	Zapier = Provider{Kind: "zapier", BaseURL: "https://hooks.zapier.com", Hosts: []string{"hooks.zapier.com"},
		Timeout: 30 * time.Second, Rate: Rate{PerMinute: 300, Burst: 10}}
)

// Providers lists every provider we call, by kind.
func Providers() map[string]Provider {
	return map[string]Provider{Stripe.Kind: Stripe, Calendly.Kind: Calendly, Mandrill.Kind: Mandrill, Zapier.Kind: Zapier}
}

// mandrillVerdict reads Mandrill's error answers (always HTTP 500, with a name): a
// GeneralError is Mandrill failing before it sent anything, so it may be retried; every
// other name (Invalid_Key, ValidationError, PaymentRequired, Unknown_*) is final.
func mandrillVerdict(status int, body []byte) Verdict {
	var e struct {
		Status string `json:"status"`
		Name   string `json:"name"`
	}
	if json.Unmarshal(body, &e) != nil || e.Status != "error" {
		return VerdictByStatus
	}
	if e.Name == "GeneralError" {
		return VerdictRetry
	}
	return VerdictFinal
}

// Endpoints are the URLs a deployment gives a provider; empty ones keep the documented URLs.
type Endpoints struct {
	BaseURL, TokenURL string
}

// Resolve returns p pointed at e's URLs, with Hosts narrowed to exactly the hosts those URLs
// name. Only https URLs on the provider's documented hosts are accepted, unless loopback
// (the local stack and the tests), which accepts loopback hosts too.
func Resolve(p Provider, e Endpoints, loopback bool) (Provider, error) {
	out := p
	out.Hosts = nil
	for _, u := range []struct {
		field *string
		given string
	}{{&out.BaseURL, e.BaseURL}, {&out.TokenURL, e.TokenURL}} {
		if u.given != "" {
			*u.field = strings.TrimSuffix(u.given, "/")
		}
		if *u.field == "" {
			continue
		}
		host, err := CheckURL(p, *u.field, loopback)
		if err != nil {
			return Provider{}, err
		}
		if !slices.Contains(out.Hosts, host) {
			out.Hosts = append(out.Hosts, host)
		}
	}
	return out, nil
}

// CheckURL returns the host of raw when p may call it: https on one of p's documented hosts
// (no port, no user info), or, when loopback, http or https on a loopback host.
func CheckURL(p Provider, raw string, loopback bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.User != nil || u.Host == "" {
		return "", fmt.Errorf("%w: %s URL %.100q is not an absolute URL", ErrBaseURL, p.Kind, raw)
	}
	if loopback && isLoopback(u.Hostname()) && (u.Scheme == "http" || u.Scheme == "https") {
		return u.Host, nil
	}
	if u.Scheme != "https" || u.Port() != "" || !slices.Contains(p.Hosts, u.Host) {
		return "", fmt.Errorf("%w: %s URL %.100q is not https on %v", ErrBaseURL, p.Kind, raw, p.Hosts)
	}
	return u.Host, nil
}

// ZapierHookPath is the path every Zapier catch hook lives under.
const ZapierHookPath = "/hooks/catch/"

// CheckZapierHook accepts a Zapier catch-hook URL: https://hooks.zapier.com/hooks/catch/…,
// or, when loopback, the same path on a loopback host.
func CheckZapierHook(raw string, loopback bool) error {
	if _, err := CheckURL(Zapier, raw, loopback); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if !strings.HasPrefix(u.Path, ZapierHookPath) || len(u.Path) == len(ZapierHookPath) {
		return fmt.Errorf("%w: a Zapier hook URL is https://hooks.zapier.com%s…", ErrBaseURL, ZapierHookPath)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostGuard refuses any request to a host not on its list, before anything else happens.
type hostGuard struct {
	provider string
	hosts    []string
	next     http.RoundTripper
}

func (g hostGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !slices.Contains(g.hosts, req.URL.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w: %s call to %.100q", ErrHostNotAllowed, g.provider, req.URL.Host)
	}
	return g.next.RoundTrip(req)
}
