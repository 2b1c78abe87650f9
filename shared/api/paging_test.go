package api_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// TestListsPageOver250Items: walking a list with its cursor yields every item once.
func TestListsPageOver250Items(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 260
	want := map[string]bool{}
	for i := range n {
		c := store.Connection{ID: fmt.Sprintf("conn_page_%03d", i), TenantID: "tenant-a", Kind: "custom", Status: store.ConnectionActive,
			SealedSecrets: "x", CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}
		if err := e.conns.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
		want[c.ID] = true
		id := fmt.Sprintf("evt_page_%03d", i)
		if _, _, err := e.events.PutNew(ctx, store.Event{ID: id, TenantID: "tenant-a", Type: []string{"booking.created", "payment.received"}[i%2],
			CorrelationID: id, Time: now.Add(time.Duration(i) * time.Second), Envelope: []byte(`{}`), ReceivedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	walk := func(path, field string) []string {
		var ids []string
		cursor := ""
		for range 100 {
			var page map[string]any
			sep := "?"
			if len(path) > 0 && containsQ(path) {
				sep = "&"
			}
			e.must(200, "GET", path+sep+"limit=37&cursor="+url.QueryEscape(cursor), keyA, nil, &page)
			for _, item := range page[field].([]any) {
				ids = append(ids, item.(map[string]any)["id"].(string))
			}
			next, _ := page["next_cursor"].(string)
			if next == "" {
				return ids
			}
			cursor = next
		}
		t.Fatalf("%s never ended", path)
		return nil
	}
	check := func(name string, ids []string, want int) {
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s: %s listed twice", name, id)
			}
			seen[id] = true
		}
		if len(seen) != want {
			t.Fatalf("%s: listed %d, want %d", name, len(seen), want)
		}
	}
	conns := walk("/v1/connections", "connections")
	check("connections", conns, n)
	for _, id := range conns {
		if !want[id] {
			t.Fatalf("unexpected %s", id)
		}
	}
	evs := walk("/v1/events", "events")
	check("events", evs, n)
	if evs[0] != fmt.Sprintf("evt_page_%03d", n-1) {
		t.Fatalf("events are not newest first: %s", evs[0])
	}
	check("events of one type", walk("/v1/events?type=payment.received", "events"), n/2)
	since := now.Add(100 * time.Second).Format(time.RFC3339)
	until := now.Add(199 * time.Second).Format(time.RFC3339)
	check("events in a range", walk("/v1/events?since="+since+"&until="+until, "events"), 100)
}

func containsQ(s string) bool {
	for _, r := range s {
		if r == '?' {
			return true
		}
	}
	return false
}
