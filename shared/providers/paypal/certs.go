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
	"slices"
	"strings"
	"sync"
	"time"
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

// errCert means the certificate URL or chain is not acceptable.
var errCert = errors.New("certificate not acceptable")

// Certs fetches, verifies and caches PayPal certificate chains.
type Certs struct {
	// Hosts are the exact host[:port] values a certificate URL may name.
	Hosts []string
	// Roots verify the chain; nil means the system roots.
	Roots *x509.CertPool
	// Fetch gets a URL's body; nil means an HTTPS GET that follows no redirect.
	Fetch func(ctx context.Context, url string) ([]byte, error)

	mu    sync.Mutex
	cache map[string][]*x509.Certificate
}

// CheckURL vets a certificate URL before anything is fetched.
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
	case !strings.HasPrefix(u.Path, CertPathPrefix) || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%w: the certificate URL is not under %s", errCert, CertPathPrefix)
	}
	return nil
}

// Leaf returns the verified leaf certificate at raw, valid at now. The chain is fetched
// once per URL; the verification is repeated at every use, so expiry is noticed.
func (c *Certs) Leaf(ctx context.Context, raw string, now time.Time) (*x509.Certificate, error) {
	if err := c.CheckURL(raw); err != nil {
		return nil, err
	}
	c.mu.Lock()
	chain, ok := c.cache[raw]
	c.mu.Unlock()
	if !ok {
		body, err := c.fetch(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: fetch: %v", errCert, err)
		}
		if chain, err = parseChain(body); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.cache == nil {
			c.cache = map[string][]*x509.Certificate{}
		}
		c.cache[raw] = chain
		c.mu.Unlock()
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
// follows no redirect, and reads at most 64 KiB.
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
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("status %d (redirects are not followed)", resp.StatusCode)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	}
}
