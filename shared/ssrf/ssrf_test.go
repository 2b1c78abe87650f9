package ssrf_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/wedsync/webhooks/shared/ssrf"
)

func TestCheckURL(t *testing.T) {
	ok := []string{"https://hooks.example.com/wedsync", "https://93.184.216.34/x", "https://[2606:2800:220:1::]/x"}
	for _, u := range ok {
		if err := ssrf.CheckURL(u, false); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	bad := []string{
		"http://hooks.example.com/", "ftp://example.com/", "https://user:pw@example.com/", "/relative", "https://",
		"https://127.0.0.1/", "https://localhost/", "https://10.1.2.3/", "https://172.16.0.1/", "https://192.168.1.1/",
		"https://169.254.169.254/latest/meta-data", "https://100.64.0.1/", "https://0.0.0.0/", "https://198.18.0.1/",
		"https://240.0.0.1/", "https://224.0.0.1/", "https://[::1]/", "https://[fc00::1]/", "https://[fe80::1]/",
		"https://[64:ff9b::a00:1]/", "https://[2002:a00:1::]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:10.0.0.1]/",
		"https://metadata.google.internal/", "https://printer.local/",
	}
	for _, u := range bad {
		if err := ssrf.CheckURL(u, false); !errors.Is(err, ssrf.ErrForbidden) {
			t.Errorf("%s allowed: %v", u, err)
		}
	}
	if err := ssrf.CheckURL("http://127.0.0.1:9000/hook", true); err != nil {
		t.Errorf("the local exception refused loopback: %v", err)
	}
	if err := ssrf.CheckURL("http://10.0.0.1/hook", true); err == nil {
		t.Error("the local exception allowed a private address")
	}
}

func TestAllowedAddr(t *testing.T) {
	if ssrf.AllowedAddr(netip.MustParseAddr("::ffff:169.254.169.254"), true) {
		t.Fatal("IPv4-mapped metadata address allowed")
	}
	if !ssrf.AllowedAddr(netip.MustParseAddr("8.8.8.8"), false) {
		t.Fatal("a public address refused")
	}
}
