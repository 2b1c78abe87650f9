package erase

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Placeholder replaces each occurrence of the address.
const Placeholder = "[erased]"

// ErrBadAddress means the address to erase is not an e-mail address.
var ErrBadAddress = errors.New("not an e-mail address")

// Matcher finds one address, in any case, written plainly or with any of its characters
// escaped as JSON (\u0040), percent-encoded (%40), or both (%5Cu0040, JSON inside a form
// field), and only where it stands alone: "jane@example.com" is not found in
// "mary.jane@example.com" nor in "jane@example.com.au".
type Matcher struct {
	re *regexp.Regexp
}

// NewMatcher returns the matcher of address; ErrBadAddress when it is not one.
func NewMatcher(address string) (*Matcher, error) {
	address = strings.TrimSpace(address)
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(address) > 254 ||
		!utf8.ValidString(address) || strings.ContainsFunc(address, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("%w: %.64q", ErrBadAddress, address)
	}
	var b strings.Builder
	b.WriteString("(?i)")
	for _, r := range address {
		b.WriteString("(?:")
		b.WriteString(strings.Join(spellings(r), "|"))
		b.WriteString(")")
	}
	return &Matcher{re: regexp.MustCompile(b.String())}, nil
}

// spellings are the ways one character of the address can be stored, as expressions.
func spellings(r rune) []string {
	out := []string{regexp.QuoteMeta(string(r))}
	var pct strings.Builder
	for _, c := range []byte(string(r)) {
		fmt.Fprintf(&pct, "%%%02x", c)
	}
	out = append(out, pct.String())
	if r <= 0xffff {
		out = append(out, fmt.Sprintf(`\\u%04x`, r), fmt.Sprintf(`%%5cu%04x`, r))
	}
	return out
}

// Contains reports whether b holds the address.
func (m *Matcher) Contains(b []byte) bool {
	for _, loc := range m.re.FindAllIndex(b, -1) {
		if alone(b, loc[0], loc[1]) {
			return true
		}
	}
	return false
}

// Redact replaces each occurrence of the address in b with Placeholder and reports whether
// there was one.
func (m *Matcher) Redact(b []byte) ([]byte, bool) {
	var out []byte
	last := 0
	for _, loc := range m.re.FindAllIndex(b, -1) {
		if !alone(b, loc[0], loc[1]) {
			continue
		}
		out = append(append(out, b[last:loc[0]]...), Placeholder...)
		last = loc[1]
	}
	if out == nil {
		return b, false
	}
	return append(out, b[last:]...), true
}

// alone reports whether b[start:end] is a whole address: no address character before it,
// and after it neither a domain character nor a dot that goes on with one.
func alone(b []byte, start, end int) bool {
	if c, ok := before(b, start); ok && (isWord(c) || strings.ContainsRune(".+_-", c)) {
		return false
	}
	c, width, ok := after(b, end)
	if !ok {
		return true
	}
	if isWord(c) || c == '-' {
		return false
	}
	if c == '.' {
		if next, _, ok := after(b, end+width); ok && isWord(next) {
			return false
		}
	}
	return true
}

func isWord(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf
}

// before is the character that ends just before i, decoding an escape that ends there.
func before(b []byte, i int) (rune, bool) {
	if i >= 6 && b[i-6] == '\\' && (b[i-5] == 'u' || b[i-5] == 'U') {
		if v, err := strconv.ParseUint(string(b[i-4:i]), 16, 32); err == nil {
			return rune(v), true
		}
	}
	if i >= 3 && b[i-3] == '%' {
		if v, err := strconv.ParseUint(string(b[i-2:i]), 16, 8); err == nil {
			return rune(v), true
		}
	}
	if i == 0 {
		return 0, false
	}
	r, _ := utf8.DecodeLastRune(b[:i])
	return r, true
}

// after is the character that starts at i and how many bytes spell it, decoding an escape.
func after(b []byte, i int) (rune, int, bool) {
	rest := b[i:]
	if len(rest) >= 6 && rest[0] == '\\' && (rest[1] == 'u' || rest[1] == 'U') {
		if v, err := strconv.ParseUint(string(rest[2:6]), 16, 32); err == nil {
			return rune(v), 6, true
		}
	}
	if len(rest) >= 3 && rest[0] == '%' {
		if v, err := strconv.ParseUint(string(rest[1:3]), 16, 8); err == nil {
			return rune(v), 3, true
		}
	}
	if len(rest) == 0 {
		return 0, 0, false
	}
	r, w := utf8.DecodeRune(rest)
	return r, w, true
}
