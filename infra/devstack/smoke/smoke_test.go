package smoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/infra/devstack/smoke"
	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/topology"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func localState(url string) *local.State {
	st := &local.State{URL: url, Running: true, Connections: map[string]local.ConnectionState{}}
	for _, kind := range local.ImplementedKinds(topology.Default()) {
		st.Connections[kind] = local.ConnectionState{ID: "dev-" + kind, Kind: kind, IngestURL: url + "/webhooks/" + kind + "/dev-" + kind,
			Secret: "seeded-" + kind, CertURL: "https://127.0.0.1:1/cert", SignerKey: "/state/paypal-signer.pem"}
	}
	return st
}

func TestConnections(t *testing.T) {
	const dev, aws = "http://127.0.0.1:3000", "https://abc.execute-api.eu-west-1.amazonaws.com"
	kinds := local.ImplementedKinds(topology.Default())
	t.Run("the running local stack: every seeded connection, PayPal included", func(t *testing.T) {
		conns, err := smoke.Connections(dev+"/", env(nil), localState(dev))
		if err != nil || len(conns) != len(kinds) {
			t.Fatalf("Connections = %d connections, %v; want %d", len(conns), err, len(kinds))
		}
	})
	t.Run("a given secret wins over the seeded one", func(t *testing.T) {
		conns, _ := smoke.Connections(dev, env(map[string]string{"SECRET_STRIPE": "whsec_given"}), localState(dev))
		for _, c := range conns {
			if c.Kind == "stripe" && (c.Secret != "whsec_given" || c.IngestURL != dev+"/webhooks/stripe/dev-stripe") {
				t.Errorf("stripe connection %+v", c)
			}
		}
	})
	t.Run("a deployed stack: only the providers whose secret is given", func(t *testing.T) {
		conns, err := smoke.Connections(aws, env(map[string]string{"SECRET_CUSTOM": "whsec_x", "CONNECTION_CUSTOM": "conn_1"}), localState(dev))
		if err != nil || len(conns) != 1 {
			t.Fatalf("Connections = %+v, %v", conns, err)
		}
		if c := conns[0]; c.Kind != "custom" || c.ID != "conn_1" || c.IngestURL != aws+"/webhooks/custom/conn_1" || c.Secret != "whsec_x" {
			t.Errorf("custom connection %+v", c)
		}
	})
	t.Run("PayPal needs the local stack's test CA", func(t *testing.T) {
		_, err := smoke.Connections(aws, env(map[string]string{"SECRET_PAYPAL": "WH-1"}), localState(dev))
		if !errors.Is(err, smoke.ErrNoTrustedCA) {
			t.Fatalf("err = %v, want ErrNoTrustedCA", err)
		}
		conns, err := smoke.Connections(dev, env(map[string]string{"SECRET_PAYPAL": "WH-1"}), localState(dev))
		for _, c := range conns {
			if c.Kind == "paypal" && (err != nil || c.Secret != "WH-1" || c.SignerKey == "") {
				t.Errorf("paypal connection %+v, %v", c, err)
			}
		}
	})
	t.Run("nothing given and no running local stack", func(t *testing.T) {
		stopped := localState(dev)
		stopped.Running = false
		for _, st := range []*local.State{nil, stopped} {
			if _, err := smoke.Connections(dev, env(nil), st); !errors.Is(err, smoke.ErrNothingToSend) {
				t.Errorf("err = %v, want ErrNothingToSend", err)
			}
		}
	})
}

func TestEveryProviderHasASampleAndItsTypes(t *testing.T) {
	for _, kind := range local.ImplementedKinds(topology.Default()) {
		if local.DefaultSamples[kind] == "" || len(smoke.WantTypes[kind]) == 0 {
			t.Errorf("%s: sample %q, types %v", kind, local.DefaultSamples[kind], smoke.WantTypes[kind])
		}
	}
}

// fakeStack answers ingest with status and event id evt_1, and lists listed on /v1/events.
func fakeStack(t *testing.T, status int, listed []map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/webhooks/"):
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"success":true,"data":{"event_id":"evt_1","duplicate":false}}`))
		case r.URL.Path == "/v1/events" && r.Header.Get("authorization") == "Bearer key":
			_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "data": map[string]any{"events": listed}})
		default:
			http.Error(w, "unexpected", http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRunFailsWhenTheStackDoesNotKeepTheEvent: a refused sample, an event never listed and
// an event of the wrong type each fail the run with their own error.
func TestRunFailsWhenTheStackDoesNotKeepTheEvent(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := emulator.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		status int
		listed []map[string]string
		want   error
	}{
		"passes":       {status: 200, listed: []map[string]string{{"id": "evt_0", "type": "form.submitted"}, {"id": "evt_1", "type": "booking.created"}}},
		"refused":      {status: 401, want: smoke.ErrRejected},
		"never listed": {status: 200, listed: []map[string]string{{"id": "evt_0", "type": "booking.created"}}, want: smoke.ErrNotListed},
		"wrong type":   {status: 200, listed: []map[string]string{{"id": "evt_1", "type": "payment.received"}}, want: smoke.ErrWrongType},
	} {
		t.Run(name, func(t *testing.T) {
			srv := fakeStack(t, c.status, c.listed)
			conn := local.ConnectionState{ID: "c1", Kind: "custom", IngestURL: srv.URL + "/webhooks/custom/c1",
				Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
			results, err := smoke.Run(context.Background(), smoke.Config{BaseURL: srv.URL, APIKey: "key", Root: root,
				Connections: []local.ConnectionState{conn}, Within: 300 * time.Millisecond})
			if !errors.Is(err, c.want) || (c.want == nil && (len(results) != 1 || results[0].Type != "booking.created")) {
				t.Fatalf("Run = %+v, %v; want %v", results, err, c.want)
			}
		})
	}
}
