package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/envelope/envelopetest"
	"github.com/wedsync/webhooks/shared/store"
)

// TestDeliverRendersThePinnedVersion: one payment event, stored at the latest version,
// reaches a subscription pinned to 2026-11-01 in that version's shape and one on
// 2027-01-15 as stored; each body is signed over exactly those bytes and validates against
// the schema of its version. A test event and a subscription.disabled event validate too.
func TestDeliverRendersThePinnedVersion(t *testing.T) {
	r := newRig(t)
	oldEnd, newEnd := newSubscriber(t), newSubscriber(t)
	types := []string{envelope.PaymentReceived}
	oldSub, oldSecret := r.subscribe(oldEnd.URL, types, func(s *store.Subscription) { s.Version = "2026-11-01" })
	_, newSecret := r.subscribe(newEnd.URL, types, func(s *store.Subscription) { s.Version = "2027-01-15" })

	doc, _ := envelope.LookupType(envelope.PaymentReceived)
	env := doc.ExampleEnvelope()
	env.TenantID = tenant
	stored, _ := json.Marshal(env)
	now := r.clock.Now()
	if _, _, err := r.events.PutNew(context.Background(), store.Event{ID: env.ID, TenantID: tenant, Type: env.Type,
		CorrelationID: env.ID, Time: now, Envelope: stored, ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := r.fanout.Apply(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if failed := r.pump(); len(failed) > 0 {
		t.Fatalf("failed: %v", failed)
	}
	oldGot, newGot := oldEnd.requests(), newEnd.requests()
	if len(oldGot) != 1 || len(newGot) != 1 {
		t.Fatalf("requests: %d to the 2026-11-01 subscription, %d to the 2027-01-15 one; want 1 each", len(oldGot), len(newGot))
	}
	for _, c := range []struct {
		got    received
		secret string
	}{{oldGot[0], oldSecret}, {newGot[0], newSecret}} {
		wh, err := standardwebhooks.NewWebhook(c.secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.VerifyIgnoringTimestamp(c.got.Body, c.got.Header); err != nil {
			t.Errorf("signature over the rendered body: %v", err)
		}
		envelopetest.Validate(t, c.got.Body)
	}
	if !bytes.Equal(newGot[0].Body, stored) {
		t.Errorf("the 2027-01-15 subscription got\n%s\nwant the stored event\n%s", newGot[0].Body, stored)
	}
	want, err := envelope.Render(stored, "2026-11-01")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(oldGot[0].Body, want) {
		t.Errorf("the 2026-11-01 subscription got\n%s\nwant\n%s", oldGot[0].Body, want)
	}
	for _, field := range []string{`"amount_decimal"`, `"customer":`, `"eventversion":"2027-01-15"`} {
		if bytes.Contains(oldGot[0].Body, []byte(field)) {
			t.Errorf("the 2026-11-01 body has %s", field)
		}
		if !bytes.Contains(newGot[0].Body, []byte(field)) {
			t.Errorf("the 2027-01-15 body lacks %s", field)
		}
	}

	tester := &delivery.Tester{Events: r.events, Deliveries: r.deliveries, Queue: r.sent, Now: r.clock.Now}
	if _, err := tester.SendTest(context.Background(), oldSub); err != nil {
		t.Fatal(err)
	}
	r.pump()
	oldGot = oldEnd.requests()
	if len(oldGot) != 2 || !strings.Contains(string(oldGot[1].Body), `"type":"webhook.test"`) {
		t.Fatalf("test event: %d requests", len(oldGot))
	}
	envelopetest.Validate(t, oldGot[1].Body)

	gone := newSubscriber(t, 410)
	goneSub, _ := r.subscribe(gone.URL, []string{"booking.created"})
	r.event(envelope.EventID("conn_crm", "gone"), "booking.created")
	r.pump()
	disabled, err := r.events.Get(context.Background(),
		envelope.EventID("wedsync:"+goneSub.ID, "subscription.disabled:"+strconv.FormatInt(r.clock.Now().UnixMilli(), 10)))
	if err != nil {
		t.Fatalf("subscription.disabled: %v", err)
	}
	for _, v := range envelope.VersionNames() {
		rendered, err := envelope.Render(disabled.Envelope, v)
		if err != nil {
			t.Fatal(err)
		}
		envelopetest.Validate(t, rendered)
	}
}

// TestDeliverUnknownVersionFails: a subscription pinned to a version the chain does not
// know (written behind the API's back) fails its delivery with a reason, and nothing is
// posted.
func TestDeliverUnknownVersionFails(t *testing.T) {
	r := newRig(t)
	end := newSubscriber(t)
	sub, _ := r.subscribe(end.URL, []string{"booking.created"}, func(s *store.Subscription) { s.Version = "1999-01-01" })
	r.event("evt_unknown_version", "booking.created")
	r.pump()
	if n := len(end.requests()); n != 0 {
		t.Fatalf("%d requests posted", n)
	}
	page, err := r.deliveries.ListBySubscription(context.Background(), sub.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Status != store.DeliveryFailed || !strings.Contains(page.Items[0].Reason, "1999-01-01") {
		t.Fatalf("deliveries %+v, want one failed naming the version", page.Items)
	}
}
