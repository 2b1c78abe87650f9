package api_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/store"
)

// TestEventStatusFromTheMarker: an event's status and processing time come from its
// processed marker, in one event and in the list; the marker itself is no event.
func TestEventStatusFromTheMarker(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, _, err := e.events.PutNew(ctx, store.Event{ID: "evt_status", TenantID: "tenant-a", Type: "booking.created",
		CorrelationID: "evt_status", Time: now, Envelope: []byte(`{"id":"evt_status"}`), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	type view struct {
		ID          string     `json:"id"`
		Status      string     `json:"status"`
		ProcessedAt *time.Time `json:"processed_at"`
	}
	var got view
	e.must(200, "GET", "/v1/events/evt_status", keyA, nil, &got)
	if got.Status != store.StatusReceived || got.ProcessedAt != nil {
		t.Fatalf("before processing: %+v", got)
	}
	at := now.Add(time.Minute)
	if err := e.events.MarkProcessed(ctx, "evt_status", at, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.must(200, "GET", "/v1/events/evt_status", keyA, nil, &got)
	if got.Status != store.StatusProcessed || got.ProcessedAt == nil || !got.ProcessedAt.Equal(at) {
		t.Fatalf("after processing: %+v", got)
	}
	var list struct {
		Events []view `json:"events"`
	}
	e.must(200, "GET", "/v1/events", keyA, nil, &list)
	if len(list.Events) != 1 || list.Events[0].Status != store.StatusProcessed || list.Events[0].ProcessedAt == nil {
		t.Fatalf("listed %+v, want the one event, processed", list.Events)
	}
	if a := e.call("GET", "/v1/events/"+url.PathEscape(store.ProcessedKey("evt_status")), keyA, nil); a.status != 404 {
		t.Fatalf("the marker answered %d %s", a.status, a.raw)
	}
}
