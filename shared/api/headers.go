package api

import (
	"slices"
	"strings"
)

// reservedHeaders are set by every delivery, or by the HTTP client on the wire, and are
// never taken from a subscription: the content headers, the user agent, the host and the
// hop-by-hop headers (RFC 9110 §7.6.1); reservedPrefixes add every Standard Webhooks
// header (webhook-id, webhook-timestamp, webhook-signature and any later one) and proxy-*.
var (
	reservedHeaders = []string{
		"content-type", "content-length", "content-encoding", "user-agent", "host",
		"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
	}
	reservedPrefixes = []string{"webhook-", "proxy-"}
)

// reservedHeader reports whether a subscription may not set the header name.
func reservedHeader(name string) bool {
	name = strings.ToLower(name)
	return slices.Contains(reservedHeaders, name) ||
		slices.ContainsFunc(reservedPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
}

// checkHeaders refuses a subscription's custom headers that a delivery sets itself, that are
// hop-by-hop, or that are not valid HTTP; the reason names every such header (never a value,
// which may be a credential).
func checkHeaders(h map[string]string, bad map[string]string) {
	var reserved, invalid []string
	for k, v := range h {
		switch {
		case !validHeaderName(k) || !validHeaderValue(v):
			invalid = append(invalid, truncate(k, 64))
		case reservedHeader(k):
			reserved = append(reserved, k)
		}
	}
	slices.Sort(reserved)
	slices.Sort(invalid)
	var reasons []string
	if len(reserved) > 0 {
		reasons = append(reasons, strings.Join(reserved, ", ")+": reserved (set by every delivery, or hop-by-hop), cannot be set")
	}
	if len(invalid) > 0 {
		reasons = append(reasons, strings.Join(invalid, ", ")+": not a valid HTTP header name and value")
	}
	if len(reasons) > 0 {
		bad["headers"] = strings.Join(reasons, "; ")
	}
}

// validHeaderName reports whether name is an HTTP token (RFC 9110 §5.6.2).
func validHeaderName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue refuses control characters other than tab, so a value can neither end
// the header nor smuggle another.
func validHeaderValue(v string) bool {
	if len(v) > 4096 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
