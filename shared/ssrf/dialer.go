package ssrf

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Resolver looks names up; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to an address already vetted.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Guard dials only public addresses: it refuses IP literals that are forbidden or spelled
// in a non-canonical form (see Literal), resolves a name once, refuses the connection if any
// answer is forbidden (a zoned answer included), and dials the vetted address itself, so a
// DNS answer that changes between check and dial cannot redirect it.
type Guard struct {
	Resolver      Resolver
	Dial          DialFunc
	AllowLoopback bool
}

// NewGuard returns a guard with the system resolver and dialer.
func NewGuard(allowLoopback bool) *Guard {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &Guard{Resolver: net.DefaultResolver, Dial: d.DialContext, AllowLoopback: allowLoopback}
}

// DialContext is an http.Transport dialer.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: bad port", ErrForbidden)
	}
	ip, isIP, err := Literal(strings.ToLower(host))
	if err != nil {
		return nil, err
	}
	addrs := []netip.Addr{ip}
	if !isIP {
		if addrs, err = g.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, a := range addrs {
		if !AllowedAddr(a, g.AllowLoopback) {
			return nil, fmt.Errorf("%w: %s resolves to %s", ErrForbidden, host, a)
		}
	}
	return g.Dial(ctx, network, netip.AddrPortFrom(addrs[0].Unmap(), uint16(port)).String())
}

// Client returns an HTTP client for deliveries: the guard's dialer, no proxy, no redirects
// followed, and timeout for the whole attempt.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       60 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
