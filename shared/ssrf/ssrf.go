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

// blocked lists every range an endpoint may not resolve to. IPv4-mapped addresses
// (::ffff:0:0/96) are judged as their IPv4 form.
var blocked = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/4", "240.0.0.0/4",
	// IPv6: IPv4-compatible (with :: and ::1), IPv4-translated, NAT64 (well-known and local-use),
	// discard-only, Teredo, documentation, 6to4, unique local, link-local, site-local, multicast.
	"::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32",
	"2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// AllowedAddr reports whether addr is a public address we may send to. An address with an
// IPv6 zone is never allowed; IPv4-mapped IPv6 addresses are judged as their IPv4 form;
// loopback is allowed only when allowLoopback.
func AllowedAddr(addr netip.Addr, allowLoopback bool) bool {
	if !addr.IsValid() || addr.Zone() != "" {
		return false
	}
	addr = addr.Unmap()
	if allowLoopback && addr.IsLoopback() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// CheckURL vets an endpoint URL before it is saved: https (or, with allowLoopback, http to
// a loopback host), no userinfo, and a host that is not a forbidden address in any spelling
// a URL parser or resolver reads as one, nor a local name. Names are resolved and vetted
// again at delivery time.
func CheckURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fmt.Errorf("%w: not an absolute URL", ErrForbidden)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL are not allowed", ErrForbidden)
	}
	host := strings.ToLower(u.Hostname())
	bracketed := strings.HasPrefix(u.Host, "[")
	addr, isIP, err := Literal(host)
	switch {
	case err != nil:
		return err
	case bracketed && !(isIP && addr.Is6()):
		return fmt.Errorf("%w: %.64q is not an IPv6 address", ErrForbidden, host)
	}
	name := strings.TrimSuffix(host, ".")
	loopbackHost := name == "localhost"
	if isIP {
		loopbackHost = addr.Unmap().IsLoopback()
		if !AllowedAddr(addr, allowLoopback) {
			return fmt.Errorf("%w: %s is a private, loopback or reserved address", ErrForbidden, host)
		}
	} else if name == "localhost" || strings.HasSuffix(name, ".localhost") || strings.HasSuffix(name, ".internal") || strings.HasSuffix(name, ".local") {
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
