package delivery_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
	"github.com/wedsync/webhooks/shared/store"
)

// example is a running verification example of the subscriber guide (docs/examples).
type example struct {
	url   string
	lines chan string
}

// startExample runs one of the guide's examples with the subscription's secret on a free
// loopback port and reads the address it prints.
func startExample(t *testing.T, secret string, name string, args ...string) *example {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret, "PORT=0")
	root, _ := filepath.Abs("../..")
	cmd.Env = append(cmd.Env, "NODE_PATH="+filepath.Join(root, ".tools", "node_modules"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ex := &example{lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ex.lines <- sc.Text()
		}
		close(ex.lines)
	}()
	first := ex.next(t)
	url, ok := strings.CutPrefix(first, "listening on ")
	if !ok {
		t.Fatalf("%s printed %q, want its address", name, first)
	}
	ex.url = url
	return ex
}

func (ex *example) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-ex.lines:
		if !ok {
			t.Fatal("the example exited")
		}
		return line
	case <-time.After(60 * time.Second):
		t.Fatal("the example printed nothing for 60 s")
	}
	return ""
}

// TestSubscriberGuideExamples: the subscriber guide's verification examples in Go (the
// Standard Webhooks library), Node (npm standardwebhooks, pinned under .tools/) and Python
// (its standard library alone) each receive a real delivery, verify it and answer 2xx, so
// the delivery is delivered; each refuses a body signed with another secret.
func TestSubscriberGuideExamples(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "verify-go")
	if out, err := exec.Command("go", "build", "-o", bin, "../../docs/examples/go").CombinedOutput(); err != nil {
		t.Fatalf("build the Go example: %v\n%s", err, out)
	}
	if _, err := os.Stat("../../.tools/node_modules/standardwebhooks"); err != nil {
		t.Fatalf("npm standardwebhooks is not installed under .tools/ (run `npm ci --prefix .tools`, or make test): %v", err)
	}
	for _, lang := range []struct {
		name string
		cmd  []string
	}{
		{"go", []string{bin}},
		{"node", []string{"node", "../../docs/examples/node/server.js"}},
		{"python", []string{"python3", "../../docs/examples/python/server.py"}},
	} {
		t.Run(lang.name, func(t *testing.T) {
			r := newRig(t)
			// The examples check the timestamp against the wall clock, as a subscriber does.
			r.clock.Set(time.Now().UTC().Truncate(time.Second))
			secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
			ex := startExample(t, secret, lang.cmd[0], lang.cmd[1:]...)
			sub, _ := r.subscribe(ex.url, []string{envelope.PaymentReceived})

			doc, _ := envelope.LookupType(envelope.PaymentReceived)
			env := doc.ExampleEnvelope()
			env.TenantID, env.Time = tenant, r.clock.Now()
			stored, _ := json.Marshal(env)
			if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: env.ID, TenantID: tenant, Type: env.Type,
				CorrelationID: env.ID, Time: env.Time, Envelope: stored, ReceivedAt: env.Time}); err != nil {
				t.Fatal(err)
			}
			if err := r.fanout.Apply(context.Background(), env); err != nil {
				t.Fatal(err)
			}
			r.pump()
			page, err := r.deliveries.ListBySubscription(context.Background(), sub.ID, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].Status != store.DeliveryDelivered {
				t.Fatalf("delivery %+v, want delivered", page.Items)
			}
			want := "verified payment.received " + env.ID + " " + envelope.Latest() + " " + page.Items[0].MessageID
			if got := ex.next(t); got != want {
				t.Fatalf("the example printed %q, want %q", got, want)
			}

			other, _ := stdwebhooks.DecodeSecret("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3")
			now := time.Now()
			req, _ := http.NewRequest("POST", ex.url, strings.NewReader(string(stored)))
			req.Header.Set("webhook-id", "msg_forged")
			req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
			req.Header.Set("webhook-signature", stdwebhooks.Sign(other, "msg_forged", now, stored))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("a body signed with another secret: %d, want 400", resp.StatusCode)
			}
		})
	}
}
