package ssrf

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// ErrForbidden means an endpoint points somewhere we never send to.
var ErrForbidden = errors.New("endpoint not allowed")

// blocked lists every range an endpoint may not resolve to.
var blocked = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
	"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96", "2002::/16",
)

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// AllowedAddr reports whether addr is a public address we may send to. IPv4-mapped IPv6
// addresses are judged as their IPv4 form; loopback is allowed only when allowLoopback.
func AllowedAddr(addr netip.Addr, allowLoopback bool) bool {
	addr = addr.Unmap()
	if allowLoopback && addr.IsLoopback() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return false
		}
	}
	return addr.IsValid()
}

// CheckURL vets an endpoint URL before it is saved: https (or, with allowLoopback, http to
// a loopback host), no userinfo, and a host that is not a forbidden address or a local name.
// Names are resolved and vetted again at delivery time.
func CheckURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fmt.Errorf("%w: not an absolute URL", ErrForbidden)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL are not allowed", ErrForbidden)
	}
	host := strings.ToLower(u.Hostname())
	loopbackHost := host == "localhost"
	if addr, err := netip.ParseAddr(host); err == nil {
		loopbackHost = addr.Unmap().IsLoopback()
		if !AllowedAddr(addr, allowLoopback) {
			return fmt.Errorf("%w: %s is a private, loopback or reserved address", ErrForbidden, host)
		}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".local") {
		if !(allowLoopback && loopbackHost) {
			return fmt.Errorf("%w: %s is a local name", ErrForbidden, host)
		}
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && allowLoopback && loopbackHost:
		return nil
	default:
		return fmt.Errorf("%w: use https", ErrForbidden)
	}
}
