package paypal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/wedsync/webhooks/shared/inbound"
)

// Production settings.
var (
	// ProductionCertHosts are the hosts PayPal serves its certificates from.
	ProductionCertHosts = []string{"api.paypal.com", "api.sandbox.paypal.com"}
	// LeafNames are the names PayPal's message-verification certificate may carry.
	LeafNames = []string{"messageverificationcerts.paypal.com", "messageverificationcerts.sandbox.paypal.com"}
)

// CertPathPrefix is where PayPal's certificates live.
const CertPathPrefix = "/v1/notifications/certs/"

// certPath is the whole path of a PayPal certificate, e.g.
// /v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270: CERT- then two to four groups of
// eight hex digits. Nothing else on the host (no "..", no other file) is ever fetched.
var certPath = regexp.MustCompile(`^/v1/notifications/certs/CERT-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{8}){1,3}$`)

// Cache defaults.
const (
	// DefaultCacheEntries bounds how many certificate URLs are remembered.
	DefaultCacheEntries = 32
	// DefaultFailureTTL is how long a failed fetch is remembered, so a burst of requests
	// naming a failing URL costs one fetch.
	DefaultFailureTTL = 30 * time.Second
)

// errCert means the certificate URL or chain is not acceptable.
var errCert = errors.New("certificate not acceptable")

// Certs fetches, verifies and caches PayPal certificate chains.
type Certs struct {
	// Hosts are the exact host[:port] values a certificate URL may name.
	Hosts []string
	// Roots verify the chain; nil means the system roots.
	Roots *x509.CertPool
	// Fetch gets a URL's body; nil means an HTTPS GET that follows no redirect. An error
	// wrapping ErrNoCertificate means the URL has no certificate; any other error is
	// temporary.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// MaxEntries bounds the cache; 0 means DefaultCacheEntries.
	MaxEntries int
	// FailureTTL is how long a failed fetch is remembered; 0 means DefaultFailureTTL.
	FailureTTL time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

// cached is a fetched chain, or the failure of a fetch until expires.
type cached struct {
	chain   []*x509.Certificate
	err     error
	added   time.Time
	expires time.Time
}

// ErrNoCertificate means the certificate server answered that there is no certificate at
// the URL: the request is refused (401), not retried.
var ErrNoCertificate = errors.New("no certificate at the URL")

// CheckURL vets a certificate URL before anything is fetched: https, an allow-listed host,
// no userinfo, query or fragment, and a path that is exactly a PayPal certificate's.
func (c *Certs) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%w: unparsable certificate URL", errCert)
	case u.Scheme != "https":
		return fmt.Errorf("%w: the certificate URL is not https", errCert)
	case u.User != nil:
		return fmt.Errorf("%w: the certificate URL carries credentials", errCert)
	case !slices.Contains(c.Hosts, u.Host):
		return fmt.Errorf("%w: %.64q is not a PayPal certificate host", errCert, u.Host)
	case !certPath.MatchString(u.Path) || raw != "https://"+u.Host+u.Path:
		return fmt.Errorf("%w: the certificate URL is not a certificate under %s", errCert, CertPathPrefix)
	}
	return nil
}

// Leaf returns the verified leaf certificate at raw, valid at now. A chain is fetched once
// per URL (with ctx) and kept; the verification is repeated at every use, so expiry is
// noticed. A failed fetch is remembered for FailureTTL (unless ctx ended first). A fetch that failed for a reason
// other than ErrNoCertificate is inbound.ErrVerificationUnavailable.
func (c *Certs) Leaf(ctx context.Context, raw string, now time.Time) (*x509.Certificate, error) {
	if err := c.CheckURL(raw); err != nil {
		return nil, err
	}
	chain, err := c.chain(ctx, raw, now)
	if err != nil {
		return nil, err
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, cert := range chain[1:] {
		inter.AddCert(cert)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: c.Roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%w: the chain does not verify at %s", errCert, now.Format(time.RFC3339))
	}
	if !slices.ContainsFunc(LeafNames, func(name string) bool { return leaf.VerifyHostname(name) == nil || leaf.Subject.CommonName == name }) {
		return nil, fmt.Errorf("%w: the leaf is not PayPal's message-verification certificate", errCert)
	}
	return leaf, nil
}

// chain returns the cached chain at raw, fetching it when it is not cached.
func (c *Certs) chain(ctx context.Context, raw string, now time.Time) ([]*x509.Certificate, error) {
	c.mu.Lock()
	entry, ok := c.cache[raw]
	c.mu.Unlock()
	if ok && (entry.err == nil || now.Before(entry.expires)) {
		return entry.chain, entry.err
	}
	body, err := c.fetch(ctx, raw)
	var chain []*x509.Certificate
	switch {
	case errors.Is(err, ErrNoCertificate):
		err = fmt.Errorf("%w: %w", errCert, err)
	case err != nil:
		err = fmt.Errorf("%w: certificate fetch failed: %w", inbound.ErrVerificationUnavailable, err)
	default:
		chain, err = parseChain(body)
	}
	if ctx.Err() == nil {
		c.remember(raw, cached{chain: chain, err: err, added: now, expires: now.Add(c.failureTTL())})
	}
	return chain, err
}

// remember caches entry, first evicting expired failures and then, while the cache is
// full, the oldest entries.
func (c *Certs) remember(raw string, entry cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[string]cached{}
	}
	limit := c.MaxEntries
	if limit <= 0 {
		limit = DefaultCacheEntries
	}
	if _, ok := c.cache[raw]; !ok && len(c.cache) >= limit {
		for k, e := range c.cache {
			if e.err != nil && !entry.added.Before(e.expires) {
				delete(c.cache, k)
			}
		}
		for len(c.cache) >= limit {
			oldest := ""
			for k, e := range c.cache {
				if oldest == "" || e.added.Before(c.cache[oldest].added) {
					oldest = k
				}
			}
			delete(c.cache, oldest)
		}
	}
	c.cache[raw] = entry
}

// Cached is how many certificate URLs the cache holds.
func (c *Certs) Cached() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cache)
}

func (c *Certs) failureTTL() time.Duration {
	if c.FailureTTL > 0 {
		return c.FailureTTL
	}
	return DefaultFailureTTL
}

func parseChain(body []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for {
		var block *pem.Block
		block, body = pem.Decode(body)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: unparsable certificate", errCert)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: no certificate at the URL", errCert)
	}
	return chain, nil
}

func (c *Certs) fetch(ctx context.Context, raw string) ([]byte, error) {
	if c.Fetch != nil {
		return c.Fetch(ctx, raw)
	}
	return HTTPFetch(c.Roots)(ctx, raw)
}

// HTTPFetch returns a fetcher that GETs over TLS verified with roots (nil: the system's),
// with the caller's context, follows no redirect, and reads at most 64 KiB. A redirect or a
// client error other than 408 and 429 is ErrNoCertificate; other failures are temporary.
func HTTPFetch(roots *x509.CertPool) func(ctx context.Context, url string) ([]byte, error) {
	client := &http.Client{
		Timeout:       5 * time.Second,
		Transport:     &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return func(ctx context.Context, url string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		switch code := resp.StatusCode; {
		case code == http.StatusOK:
			return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		case code >= 300 && code < 400:
			return nil, fmt.Errorf("%w: status %d (redirects are not followed)", ErrNoCertificate, code)
		case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
			return nil, fmt.Errorf("%w: status %d", ErrNoCertificate, code)
		default:
			return nil, fmt.Errorf("status %d", code)
		}
	}
}
