package ssrf_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/ssrf"
)

// rebinding answers each lookup with the next of its answers.
type rebinding struct {
	mu      sync.Mutex
	answers [][]netip.Addr
	lookups int
}

func (r *rebinding) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.answers[min(r.lookups, len(r.answers)-1)]
	r.lookups++
	return a, nil
}

// recordingDial never opens a connection: it records where it was asked to go.
type recordingDial struct{ dialed []string }

func (d *recordingDial) dial(_ context.Context, _, addr string) (net.Conn, error) {
	d.dialed = append(d.dialed, addr)
	return nil, errors.New("test dialer: not connecting")
}

func TestGuardRefusesForbiddenAnswers(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "::ffff:10.0.0.1", "::1", "fd00::1", "0.0.0.0", "100.64.1.1", "64:ff9b::7f00:1"} {
		d := &recordingDial{}
		g := &ssrf.Guard{Resolver: &rebinding{answers: [][]netip.Addr{{netip.MustParseAddr(ip)}}}, Dial: d.dial}
		_, err := g.DialContext(context.Background(), "tcp", "hooks.example.com:443")
		if !errors.Is(err, ssrf.ErrForbidden) || len(d.dialed) != 0 {
			t.Errorf("%s: err %v, dialed %v", ip, err, d.dialed)
		}
		_, err = g.DialContext(context.Background(), "tcp", net.JoinHostPort(ip, "443"))
		if !errors.Is(err, ssrf.ErrForbidden) || len(d.dialed) != 0 {
			t.Errorf("literal %s: err %v, dialed %v", ip, err, d.dialed)
		}
	}
	mixed := &rebinding{answers: [][]netip.Addr{{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")}}}
	d := &recordingDial{}
	if _, err := (&ssrf.Guard{Resolver: mixed, Dial: d.dial}).DialContext(context.Background(), "tcp", "x.example.com:443"); !errors.Is(err, ssrf.ErrForbidden) || len(d.dialed) != 0 {
		t.Errorf("one private answer among public ones: %v %v", err, d.dialed)
	}
}

// TestGuardDialsTheVettedAddress: a name whose answer turns private after the check is
// dialed at the address that was vetted, and looked up only once.
func TestGuardDialsTheVettedAddress(t *testing.T) {
	r := &rebinding{answers: [][]netip.Addr{{netip.MustParseAddr("93.184.216.34")}, {netip.MustParseAddr("127.0.0.1")}}}
	d := &recordingDial{}
	g := &ssrf.Guard{Resolver: r, Dial: d.dial}
	_, _ = g.DialContext(context.Background(), "tcp", "rebind.example.com:443")
	if len(d.dialed) != 1 || d.dialed[0] != "93.184.216.34:443" || r.lookups != 1 {
		t.Fatalf("dialed %v after %d lookups", d.dialed, r.lookups)
	}
}

func TestClientFollowsNoRedirect(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "http://10.0.0.1/internal", http.StatusFound)
	}))
	defer srv.Close()
	client := ssrf.NewGuard(true).Client(5 * time.Second)
	resp, err := client.Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 1 {
		t.Fatalf("status %d after %d hits: a redirect was followed", resp.StatusCode, hits)
	}
	if _, err := ssrf.NewGuard(false).Client(time.Second).Post(srv.URL, "application/json", nil); !errors.Is(err, ssrf.ErrForbidden) {
		t.Fatalf("production mode reached a loopback server: %v", err)
	}
}
