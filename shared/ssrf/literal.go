package ssrf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Literal tells whether host (lower-case, without brackets) is an IP address. An IPv6
// address must carry no zone; an IPv4 address must be in canonical dotted-decimal form.
// Any other spelling some URL parser or resolver reads as an IPv4 address — decimal
// (2130706433), octal (0177.0.0.1), hex (0x7f.1), short (127.1), leading zeros, a trailing
// dot — is refused with ErrForbidden whatever address it denotes, as is a host that is not
// ASCII (IDNA mapping turns full-width digits and dots into an address). Anything else is a
// name to resolve.
func Literal(host string) (addr netip.Addr, isIP bool, err error) {
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return netip.Addr{}, false, fmt.Errorf("%w: %.64q is not ASCII; use the xn-- form of the name", ErrForbidden, host)
		}
	}
	if strings.Contains(host, ":") {
		addr, err := netip.ParseAddr(host)
		switch {
		case err != nil:
			return netip.Addr{}, false, fmt.Errorf("%w: %.64q is not an IP address", ErrForbidden, host)
		case addr.Zone() != "":
			return netip.Addr{}, false, fmt.Errorf("%w: %.64q has an IPv6 zone", ErrForbidden, host)
		}
		return addr, true, nil
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr, true, nil
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if !numeric(labels[len(labels)-1]) {
		return netip.Addr{}, false, nil
	}
	if a, ok := looseIPv4(labels); ok {
		return netip.Addr{}, false, fmt.Errorf("%w: %.64q is a non-canonical spelling of %s", ErrForbidden, host, a)
	}
	return netip.Addr{}, false, fmt.Errorf("%w: %.64q is numeric but not a canonical IPv4 address", ErrForbidden, host)
}

// numeric reports whether a label makes the WHATWG URL parser read a host as IPv4: all
// decimal digits, or 0x followed by hex digits.
func numeric(label string) bool {
	if label == "" {
		return false
	}
	digits := label
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		digits = rest
		for _, c := range digits {
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
		return true
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// looseIPv4 parses labels as inet_aton does: one to four parts, each decimal, octal
// (leading 0) or hex (0x), the last filling the remaining bytes.
func looseIPv4(labels []string) (netip.Addr, bool) {
	if len(labels) > 4 {
		return netip.Addr{}, false
	}
	var parts []uint64
	for _, l := range labels {
		base, digits := 10, l
		switch {
		case strings.HasPrefix(l, "0x"):
			base, digits = 16, l[2:]
			if digits == "" {
				digits = "0"
			}
		case len(l) > 1 && l[0] == '0':
			base, digits = 8, l[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		parts = append(parts, v)
	}
	last := parts[len(parts)-1]
	if last >= 1<<(8*(5-len(parts))) {
		return netip.Addr{}, false
	}
	var v uint32
	for i, p := range parts[:len(parts)-1] {
		if p > 255 {
			return netip.Addr{}, false
		}
		v |= uint32(p) << (24 - 8*i)
	}
	v |= uint32(last)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
