package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/erase/erasetest"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// seeded is a stack holding two tenants' data (erasetest.Seed), tenant-a's row and key,
// and dead letters of both on the events and deliveries DLQs.
func seeded(t *testing.T) (*Target, string) {
	t.Helper()
	target := newTarget(t)
	ctx := context.Background()
	sealer, err := target.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		erasetest.Seed(t, target.DB, target.Tables, sealer, tenant, t0)
		if err := tenants(target).Create(ctx, store.Tenant{ID: tenant, Name: tenant, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	key, _, err := store.NewKey(rand.Reader, store.APIKey{TenantID: "tenant-a", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := apiKeys(target).Put(ctx, key); err != nil {
		t.Fatal(err)
	}
	sendAll(t, target.SQS, target.DLQs[topology.QueueEvents], []string{`{"event_id":"evt_tenant-a_stripe"}`, `{"event_id":"evt_tenant-b_custom"}`})
	sendAll(t, target.SQS, target.DLQs[topology.QueueDeliveries], []string{`{"delivery_id":"dlv_tenant-a_1"}`, `{"delivery_id":"dlv_tenant-b_2"}`})
	return target, key.ID
}

// snapshot is every item of every table, by table and key.
func snapshot(t *testing.T, target *Target) map[string]map[string]types.AttributeValue {
	t.Helper()
	keys := map[string][]string{}
	for _, table := range store.Tables() {
		for _, k := range table.Create(table.Name).KeySchema {
			keys[table.Name] = append(keys[table.Name], *k.AttributeName)
		}
	}
	out := map[string]map[string]types.AttributeValue{}
	for table, items := range testenv.ScanAll(t, target.DB, target.Tables) {
		for _, item := range items {
			id := table
			for _, k := range keys[table] {
				id += "/" + attrS(item, k)
			}
			out[id] = item
		}
	}
	return out
}

// depths are the messages of every queue and DLQ.
func depths(t *testing.T, target *Target) map[string]int {
	t.Helper()
	out := map[string]int{}
	for name, url := range target.Queues {
		for label, u := range map[string]string{name: url, name + "-dlq": target.DLQs[name]} {
			visible, inFlight, err := depth(context.Background(), target.SQS, u)
			if err != nil {
				t.Fatal(err)
			}
			out[label] = visible + inFlight
		}
	}
	return out
}

// TestDryRunChangesNothing is acceptance 5: every verb run with --dry-run says what it
// would do, and every table is byte for byte what it was, and every queue holds what it held.
func TestDryRunChangesNothing(t *testing.T) {
	target, keyID := seeded(t)
	before, queues := snapshot(t, target), depths(t, target)
	if len(before) < 25 || queues["events-dlq"] != 2 {
		t.Fatalf("seed: %d items, queues %v", len(before), queues)
	}
	for _, args := range [][]string{
		{"tenant", "create", "--name", "Dry Run Photo"},
		{"tenant", "disable", "--tenant", "tenant-a"},
		{"tenant", "enable", "--tenant", "tenant-a"},
		{"tenant", "list"},
		{"key", "issue", "--tenant", "tenant-a"},
		{"key", "list", "--tenant", "tenant-a"},
		{"key", "revoke", "--tenant", "tenant-a", "--key", keyID},
		{"dlq", "show"},
		{"dlq", "redrive", "--queue", "events", "--tenant", "tenant-a"},
		{"dlq", "redrive", "--queue", "deliveries", "--subscription", "sub_tenant-a", "--type", "payment.*"},
		{"dlq", "redrive", "--queue", "deliveries"},
		{"dlq", "redrive", "--cancel"},
		{"erase", "--tenant", "tenant-a", "--email", erasetest.Address},
		{"retention", "show"},
	} {
		out := mustOps(t, target, append(args, "--stage", "test", "--dry-run")...)
		mutating := !strings.Contains(strings.Join(args, " "), "list") && !strings.Contains(strings.Join(args, " "), "show") && !slicesContains(args, "--cancel")
		if mutating && !strings.Contains(out, "would") {
			t.Errorf("%v --dry-run does not say what it would do:\n%s", args, out)
		}
	}
	js := mustOps(t, target, "erase", "--stage", "test", "--tenant", "tenant-a", "--email", erasetest.Address, "--dry-run", "--json")
	var report eraseReport
	if err := json.Unmarshal([]byte(js), &report); err != nil || len(report.Changes) != 9 || !report.DryRun {
		t.Errorf("erase --dry-run --json: %s, %v", js, err)
	}
	if after := snapshot(t, target); !reflect.DeepEqual(before, after) {
		for k, v := range after {
			if !reflect.DeepEqual(before[k], v) {
				t.Errorf("a dry run changed %s", k)
			}
		}
		t.Errorf("%d items before, %d after", len(before), len(after))
	}
	if after := depths(t, target); !reflect.DeepEqual(queues, after) {
		t.Errorf("queues before %v, after %v", queues, after)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestEraseVerb: ops erase removes the address from every item of the tenant, plain or
// gzipped or sealed, prints each change, and leaves the other tenant's items as they were.
func TestEraseVerb(t *testing.T) {
	target, _ := seeded(t)
	before := snapshot(t, target)
	out := mustOps(t, target, "erase", "--stage", "test", "--tenant", "tenant-a", "--email", "JANE.DOE+wedding@example.com")
	for _, want := range []string{"changed 9 item(s) of tenant tenant-a", "events: 7 read, 6 changed, 0 deleted", "deleted (its key held the address)",
		"evt_tenant-a_mailchimp", "Point-in-time backups"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), "jane.doe") {
		t.Errorf("the report shows the address:\n%s", out)
	}
	sealer, _ := target.Sealer()
	for k, item := range snapshot(t, target) {
		switch erasetest.Owner(item) {
		case "tenant-a":
			if testenv.ItemHolds(item, erasetest.Address, erasetest.Opener(context.Background(), sealer, item)) {
				t.Errorf("%s still holds the address", k)
			}
		default:
			if !reflect.DeepEqual(before[k], item) {
				t.Errorf("%s, not tenant-a's, changed", k)
			}
		}
	}
}

// TestDLQShow: dlq show counts each DLQ and lists its messages with their tenant, type and
// last error, oldest first, and consumes none of them.
func TestDLQShow(t *testing.T) {
	target, _ := seeded(t)
	js := mustOps(t, target, "dlq", "show", "--stage", "test", "--json")
	var shown struct{ DLQs []dlqReport }
	if err := json.Unmarshal([]byte(js), &shown); err != nil || len(shown.DLQs) != 3 {
		t.Fatalf("dlq show --json: %s, %v", js, err)
	}
	for _, r := range shown.DLQs {
		switch r.Queue {
		case topology.QueueDeliveries:
			if r.Messages != 2 || len(r.Page) != 2 || r.Page[0].Kind != "delivery" {
				t.Fatalf("deliveries DLQ: %+v", r)
			}
			for _, m := range r.Page {
				if m.DeliveryID == "dlv_tenant-a_1" && (m.TenantID != "tenant-a" || m.SubscriptionID != "sub_tenant-a" ||
					m.EventType != "payment.received" || !strings.HasPrefix(m.LastError, "endpoint answered 422")) {
					t.Errorf("a delivery's message: %+v", m)
				}
			}
		case topology.QueueEvents:
			if r.Messages != 2 || len(r.Page) != 2 {
				t.Fatalf("events DLQ: %+v", r)
			}
			for _, m := range r.Page {
				want := map[string][2]string{"tenant-a": {"payment.received", store.StatusProcessed}, "tenant-b": {"booking.created", store.StatusReceived}}[m.TenantID]
				if m.EventType != want[0] || m.Status != want[1] || m.SentAt.IsZero() {
					t.Errorf("event %s: %s %s, want %v (its status from its marker)", m.EventID, m.EventType, m.Status, want)
				}
			}
		}
	}
	out := mustOps(t, target, "dlq", "show", "--stage", "test", "--queue", "deliveries")
	if !strings.Contains(out, "deliveries DLQ: 2 message(s)") || !strings.Contains(out, "tenant tenant-a") {
		t.Errorf("dlq show:\n%s", out)
	}
	if d := depths(t, target); d["events-dlq"] != 2 || d["deliveries-dlq"] != 2 {
		t.Errorf("show consumed messages: %v", d)
	}

}

// TestEveryVerbHasHelpAndFlags: --help on every verb prints its usage with the common
// flags and exits cleanly; a verb without its required flags, an unknown verb and a bad
// queue name are usage errors.
func TestEveryVerbHasHelpAndFlags(t *testing.T) {
	for _, v := range verbs() {
		var out, errw bytes.Buffer
		err := execute(context.Background(), append(strings.Fields(v.name), "--help"), &out, &errw, nil, clock, time.Millisecond)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s --help: %v", v.name, err)
		}
		for _, want := range []string{"usage: go run ./infra/ops " + v.name, "-dry-run", "-json", "-stage", "-stack"} {
			if !strings.Contains(errw.String(), want) {
				t.Errorf("%s --help lacks %q:\n%s", v.name, want, errw.String())
			}
		}
	}
	target := newTarget(t)
	for args, want := range map[string]error{
		"tenant create":                   ErrMissingFlag,
		"key issue":                       ErrMissingFlag,
		"erase --tenant t_a":              ErrMissingFlag,
		"erase --tenant t_a --email x":    errBadAddress,
		"dlq show --queue weddings":       ErrUsage,
		"dlq redrive --cancel --tenant a": ErrUsage,
		"wedding plan":                    ErrUsage,
		"tenant list extra":               ErrUsage,
	} {
		if _, err := ops(t, target, strings.Fields(args)...); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", args, err, want)
		}
	}
	var errw bytes.Buffer
	if err := run(context.Background(), t.TempDir(), nil, &bytes.Buffer{}, &errw); !errors.Is(err, ErrUsage) || !strings.Contains(errw.String(), "dlq redrive") {
		t.Errorf("no verb: %v\n%s", err, errw.String())
	}
}

var errBadAddress = erase.ErrBadAddress
