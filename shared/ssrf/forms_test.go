package ssrf_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/wedsync/webhooks/shared/ssrf"
)

// blockedForm is one spelling of a forbidden address: host as written in a URL, the host
// the transport hands the dialer (empty: the URL's host, unbracketed and unescaped), and the
// address a resolver could answer with (empty when the spelling is no address at all).
type blockedForm struct {
	host   string
	dial   string
	answer string
}

// blockedForms is every address form the guard must refuse, at create and at dial time.
var blockedForms = []blockedForm{
	// IPv4 ranges, canonical.
	{host: "127.0.0.1", answer: "127.0.0.1"},
	{host: "10.0.0.1", answer: "10.0.0.1"},
	{host: "172.16.0.1", answer: "172.16.0.1"},
	{host: "192.168.1.1", answer: "192.168.1.1"},
	{host: "169.254.169.254", answer: "169.254.169.254"},
	{host: "100.64.0.1", answer: "100.64.0.1"},
	{host: "0.0.0.0", answer: "0.0.0.0"},
	{host: "192.0.0.1", answer: "192.0.0.1"},
	{host: "198.18.0.1", answer: "198.18.0.1"},
	{host: "224.0.0.1", answer: "224.0.0.1"},
	{host: "240.0.0.1", answer: "240.0.0.1"},
	{host: "255.255.255.255", answer: "255.255.255.255"},
	// IPv4 spellings other parsers read as an address (inet_aton, WHATWG URL).
	{host: "2130706433"},
	{host: "0x7f000001"},
	{host: "017700000001"},
	{host: "0177.0.0.1"},
	{host: "0177.1"},
	{host: "0x7f.1"},
	{host: "0x7f.0.0.1"},
	{host: "0x7F.0.0.1"},
	{host: "127.1"},
	{host: "127.0.1"},
	{host: "0127.0.0.1"},
	{host: "127.0.0.1."},
	{host: "127.000.000.001"},
	{host: "0"},
	{host: "0x"},
	{host: "012.0.0.1"},
	{host: "2852039166"},
	{host: "0xa9fea9fe"},
	{host: "0251.0376.0251.0376"},
	{host: "169.254.43518"},
	{host: "99999999999"},
	{host: "a.b.0x7f"},
	// Full-width digits and ideographic full stops, which IDNA maps to 127.0.0.1.
	{host: "１２７.０.０.１"},
	{host: "127。0。0。1"},
	// Percent-encoded digits.
	{host: "127.0.0.%31", dial: "127.0.0.1"},
	// IPv6 ranges and the IPv4 addresses embedded in them.
	{host: "[::1]", answer: "::1"},
	{host: "[0:0:0:0:0:0:0:1]", answer: "::1"},
	{host: "[::]", answer: "::"},
	{host: "[::ffff:127.0.0.1]", answer: "::ffff:127.0.0.1"},
	{host: "[::ffff:7f00:1]", answer: "::ffff:7f00:1"},
	{host: "[0:0:0:0:0:ffff:127.0.0.1]", answer: "::ffff:127.0.0.1"},
	{host: "[::ffff:a9fe:a9fe]", answer: "::ffff:169.254.169.254"},
	{host: "[::127.0.0.1]", answer: "::7f00:1"},
	{host: "[::7f00:1]", answer: "::7f00:1"},
	{host: "[::a9fe:a9fe]", answer: "::a9fe:a9fe"},
	{host: "[::8.8.8.8]", answer: "::808:808"},
	{host: "[::ffff:0:127.0.0.1]", answer: "::ffff:0:7f00:1"},
	{host: "[64:ff9b::127.0.0.1]", answer: "64:ff9b::7f00:1"},
	{host: "[64:ff9b::a9fe:a9fe]", answer: "64:ff9b::a9fe:a9fe"},
	{host: "[64:ff9b:1::a00:1]", answer: "64:ff9b:1::a00:1"},
	{host: "[64:ff9b:1:ffff::8.8.8.8]", answer: "64:ff9b:1:ffff::808:808"},
	{host: "[2002:7f00:1::]", answer: "2002:7f00:1::"},
	{host: "[2002:a9fe:a9fe::1]", answer: "2002:a9fe:a9fe::1"},
	{host: "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", answer: "2001:0:4136:e378:8000:63bf:3fff:fdd2"},
	{host: "[2001:db8::1]", answer: "2001:db8::1"},
	{host: "[100::1]", answer: "100::1"},
	{host: "[fc00::1]", answer: "fc00::1"},
	{host: "[fd00:ec2::254]", answer: "fd00:ec2::254"},
	{host: "[FD00:EC2::254]", answer: "fd00:ec2::254"},
	{host: "[fe80::1]", answer: "fe80::1"},
	{host: "[fec0::1]", answer: "fec0::1"},
	{host: "[ff02::1]", answer: "ff02::1"},
	// Zones, refused whatever the address.
	{host: "[::1%25lo]", answer: "::1%lo"},
	{host: "[fd00:ec2::254%25eth0]", answer: "fd00:ec2::254%eth0"},
	{host: "[fe80::1%25eth0]", answer: "fe80::1%eth0"},
	{host: "[::ffff:127.0.0.1%25lo]", answer: "::ffff:127.0.0.1%lo"},
	{host: "[2606:2800:220:1::%25eth0]", answer: "2606:2800:220:1::%eth0"},
	// Brackets around something that is not an IPv6 address.
	{host: "[127.0.0.1]"},
	{host: "[::ffff:0x7f.1]"},
}

// TestCheckURLRefusesEveryBlockedForm: every spelling is refused when a subscription is
// saved, with and without the local loopback exception, under https and http, with a port.
func TestCheckURLRefusesEveryBlockedForm(t *testing.T) {
	for _, f := range blockedForms {
		for _, raw := range []string{"https://" + f.host + "/hook", "https://" + f.host + ":8443/hook", "http://" + f.host + "/hook"} {
			for _, allowLoopback := range []bool{false, true} {
				if allowLoopback && loopbackOnly(f) {
					continue
				}
				if err := ssrf.CheckURL(raw, allowLoopback); !errors.Is(err, ssrf.ErrForbidden) {
					t.Errorf("%s (allowLoopback %v) accepted: %v", raw, allowLoopback, err)
				}
			}
		}
	}
}

// TestGuardRefusesEveryBlockedForm: every spelling is refused at dial time, as a literal
// the transport hands the dialer and as a DNS answer for a public-looking name, and nothing
// is dialed.
func TestGuardRefusesEveryBlockedForm(t *testing.T) {
	for _, f := range blockedForms {
		d := &recordingDial{}
		resolver := &rebinding{answers: [][]netip.Addr{{netip.MustParseAddr("93.184.216.34")}}}
		g := &ssrf.Guard{Resolver: resolver, Dial: d.dial}
		_, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort(dialHost(t, f), "443"))
		if !errors.Is(err, ssrf.ErrForbidden) || len(d.dialed) != 0 || resolver.lookups != 0 {
			t.Errorf("literal %s: err %v, dialed %v after %d lookups", f.host, err, d.dialed, resolver.lookups)
		}
		if f.answer == "" {
			continue
		}
		answer := netip.MustParseAddr(f.answer)
		for _, answers := range [][]netip.Addr{{answer}, {netip.MustParseAddr("93.184.216.34"), answer}} {
			d := &recordingDial{}
			g := &ssrf.Guard{Resolver: &rebinding{answers: [][]netip.Addr{answers}}, Dial: d.dial}
			if _, err := g.DialContext(context.Background(), "tcp", "hooks.example.com:443"); !errors.Is(err, ssrf.ErrForbidden) || len(d.dialed) != 0 {
				t.Errorf("a name resolving to %v: err %v, dialed %v", answers, err, d.dialed)
			}
		}
		if ssrf.AllowedAddr(answer, false) {
			t.Errorf("AllowedAddr(%s) = true", answer)
		}
	}
}

// TestZonedLoopbackIsRefused is the regression test of the zone-id bypass: a zoned address
// is outside every netip.Prefix, so [::1%25lo] passed both the save-time and the dial-time
// checks and the guard dialed loopback.
func TestZonedLoopbackIsRefused(t *testing.T) {
	if err := ssrf.CheckURL("https://[::1%25lo]/hook", false); !errors.Is(err, ssrf.ErrForbidden) {
		t.Errorf("CheckURL accepted a zoned loopback address: %v", err)
	}
	if err := ssrf.CheckURL("https://[fd00:ec2::254%25eth0]/latest/meta-data", false); !errors.Is(err, ssrf.ErrForbidden) {
		t.Errorf("CheckURL accepted the zoned EC2 IPv6 metadata address: %v", err)
	}
	d := &recordingDial{}
	g := &ssrf.Guard{Resolver: &rebinding{answers: [][]netip.Addr{{netip.MustParseAddr("93.184.216.34")}}}, Dial: d.dial}
	if _, err := g.DialContext(context.Background(), "tcp", "[::1%lo]:443"); !errors.Is(err, ssrf.ErrForbidden) || len(d.dialed) != 0 {
		t.Errorf("the guard dialed a zoned loopback address: err %v, dialed %v", err, d.dialed)
	}
}

// TestPublicAddressesStillPass: the spellings refused above are not refused for looking
// numeric alone; public names and canonical public addresses pass.
func TestPublicAddressesStillPass(t *testing.T) {
	for _, raw := range []string{
		"https://93.184.216.34/x", "https://8.8.8.8:8443/x", "https://[2606:2800:220:1::]/x", "https://[2606:2800:220:1:0:0:0:1]/x",
		"https://hooks.example.com/x", "https://1password.example/x", "https://123.example.com/x", "https://xn--bcher-kva.example/x",
		"https://api.0x7f.example.com/x", "https://hooks.example.com./x",
	} {
		if err := ssrf.CheckURL(raw, false); err != nil {
			t.Errorf("%s refused: %v", raw, err)
		}
	}
	d := &recordingDial{}
	g := &ssrf.Guard{Resolver: &rebinding{answers: [][]netip.Addr{{netip.MustParseAddr("2606:2800:220:1::")}}}, Dial: d.dial}
	_, _ = g.DialContext(context.Background(), "tcp", "hooks.example.com:443")
	if len(d.dialed) != 1 || d.dialed[0] != "[2606:2800:220:1::]:443" {
		t.Fatalf("dialed %v", d.dialed)
	}
}

// loopbackOnly reports whether the local exception may allow f: a canonical loopback
// literal under http, which the local stack uses.
func loopbackOnly(f blockedForm) bool {
	return f.host == "127.0.0.1" || f.host == "[::1]" || f.host == "[0:0:0:0:0:0:0:1]" || f.host == "[::ffff:127.0.0.1]" ||
		f.host == "[::ffff:7f00:1]" || f.host == "[0:0:0:0:0:ffff:127.0.0.1]"
}

// dialHost is the host the transport would dial for f.
func dialHost(t *testing.T, f blockedForm) string {
	t.Helper()
	if f.dial != "" {
		return f.dial
	}
	u, err := url.Parse("https://" + f.host + "/")
	if err != nil {
		return strings.Trim(f.host, "[]")
	}
	return u.Hostname()
}
