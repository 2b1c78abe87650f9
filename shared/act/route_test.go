package act_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// TestNotificationToZapierCatchHook (acceptance 7): a notification.send is posted to the
// tenant's catch hook as {"event_type", "id", "timestamp", "data"}; Zapier's answer ends
// the command succeeded.
func TestNotificationToZapierCatchHook(t *testing.T) {
	var mu sync.Mutex
	var posted []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/hooks/catch/123456/abcdef/" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		posted = append(posted, body)
		mu.Unlock()
		w.Write([]byte(`{"attempt":"018f0c2a-0000","id":"018f0c2a-1111","request_id":"018f0c2a-1111","status":"success"}`))
	}))
	defer srv.Close()
	r := newRig(t, nil)
	r.connect("zapier", "conn_zap", connectors.Secret{HookURL: srv.URL + "/hooks/catch/123456/abcdef/"})
	cmd := r.store("evt_notify", envelope.NotificationSend, envelope.OriginReaction, `{"template":"new_booking","booking_id":"bk_1"}`)
	r.runAct(message("m1", cmd.ID))
	out, data := r.outcome(cmd.ID)
	if out.Type != envelope.CommandSucceeded || data["result"].(map[string]any)["zapier_id"] != "018f0c2a-1111" {
		t.Fatalf("outcome %s %v", out.Type, data)
	}
	if len(posted) != 1 || posted[0]["event_type"] != envelope.NotificationSend || posted[0]["id"] != cmd.ID ||
		posted[0]["data"].(map[string]any)["booking_id"] != "bk_1" {
		t.Fatalf("posted %v", posted)
	}
}

// TestCommandsAreRoutedOnlyWithCredentials: process queues a command for act only when its
// tenant has credentials for the command's provider; other events never.
func TestCommandsAreRoutedOnlyWithCredentials(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	run := func(id string) {
		t.Helper()
		if resp, err := r.process.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{message("m-"+id, id)}}); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("process %s: %v %v", id, resp, err)
		}
	}
	r.store("evt_email_early", envelope.EmailSend, envelope.OriginReaction, `{"recipient":"a@example.com"}`)
	run("evt_email_early")
	if routed := r.drain(r.commandsURL); len(routed) != 0 {
		t.Fatalf("routed %v for a tenant without Mandrill credentials", routed)
	}
	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_key"})
	r.connect("calendly", "conn_cal", connectors.Secret{APIKey: "cal_pat"})
	for _, ev := range []struct{ id, typ, data string }{
		{"evt_email", envelope.EmailSend, `{"recipient":"a@example.com"}`},
		{"evt_refund", envelope.PaymentRefund, `{"refund_amount":100}`},
		{"evt_block", envelope.CalendarBlock, `{"booking_id":"bk_1"}`},
		{"evt_sync_calendly", envelope.IntegrationSync, `{"integration_type":"calendly"}`},
		{"evt_sync_other", envelope.IntegrationSync, `{"integration_type":"hubspot"}`},
		{"evt_bare_sync", envelope.IntegrationSync, `{}`},
	} {
		r.store(ev.id, ev.typ, envelope.OriginReaction, ev.data)
		run(ev.id)
	}
	routed := r.drain(r.commandsURL)
	slices.Sort(routed)
	if want := []string{"evt_bare_sync", "evt_email", "evt_sync_calendly"}; !slices.Equal(routed, want) {
		t.Fatalf("routed %v, want %v", routed, want)
	}
}

// TestSkipsAndRefusals: a command whose tenant has no such connection, or only a disabled
// one, is skipped (no call, no outcome, no retry); an event that is not a command, a malformed message or one naming
// no stored event is refused with a reason and not retried.
func TestSkipsAndRefusals(t *testing.T) {
	r := newRig(t, nil)
	cmd := r.store("evt_email_nobody", envelope.EmailSend, envelope.OriginReaction, `{"recipient":"a@example.com"}`)
	block := r.store("evt_block", envelope.CalendarBlock, envelope.OriginReaction, `{"booking_id":"bk_1"}`)
	resp := r.runAct(message("m1", cmd.ID), message("m2", block.ID),
		events.SQSMessage{MessageId: "m3", Body: `not json`}, message("m4", "evt_missing"))
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v, want none kept for a retry", resp.BatchItemFailures)
	}
	r.noOutcome(cmd.ID)
	r.noOutcome(block.ID)

	r.connect("mandrill", "conn_md", connectors.Secret{APIKey: "md_key"})
	disabled, _ := r.connections.Get(context.Background(), "conn_md")
	disabled.Status = store.ConnectionDisabled
	if err := r.connections.Put(context.Background(), disabled); err != nil {
		t.Fatal(err)
	}
	again := r.store("evt_email_disabled", envelope.EmailSend, envelope.OriginReaction, `{"recipient":"a@example.com"}`)
	if resp := r.runAct(message("m5", again.ID)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v", resp)
	}
	r.noOutcome(again.ID)
	logs := r.logs.String()
	if strings.Count(logs, "command skipped: no connection") != 2 || strings.Count(logs, "command refused") != 3 ||
		!strings.Contains(logs, "evt_block is a calendar.block") {
		t.Fatalf("logs:\n%s", logs)
	}
}
