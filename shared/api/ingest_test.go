package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/inbound"
	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/custom"
	"github.com/wedsync/webhooks/shared/providers/providertest"
	"github.com/wedsync/webhooks/shared/providers/stripe"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestIngestAcceptsConnectionsMadeThroughTheAPI: the ingest functions verify with the
// secrets the API sealed, follow rotations, and refuse a disabled connection with 404.
func TestIngestAcceptsConnectionsMadeThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	sq := testenv.SQS(t, testenv.Config(testenv.CallTimeout))
	q := &queue.Events{SQS: sq, URL: testenv.Queue(t, sq, "events", 30*time.Second)}
	clock := func() time.Time { return now }
	handler := func(p inbound.Provider) *ingest.Handler {
		return &ingest.Handler{Provider: p,
			Connections: &ingest.ConnectionCache{Store: e.conns, Sealer: e.sealer, Now: clock},
			Events:      e.events, Queue: q, Now: clock, Logger: slog.New(slog.DiscardHandler)}
	}
	send := func(h *ingest.Handler, kind, connID string, headers map[string]string, body []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		req := events.APIGatewayV2HTTPRequest{Headers: headers, Body: string(body), PathParameters: map[string]string{"connectionId": connID}}
		req.RequestContext.HTTP.Method = "POST"
		resp, err := h.Handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	var sc connection
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "stripe", "secret": "whsec_api_made_stripe_secret"}, &sc)
	if !strings.HasSuffix(sc.IngestURL, "/webhooks/stripe/"+sc.ID) {
		t.Fatalf("ingest URL %s", sc.IngestURL)
	}
	body := []byte(`{"id":"evt_api_1","object":"event","created":1795600800,"type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":100,"currency":"gbp"}}}`)
	headers := map[string]string{"content-type": "application/json", "stripe-signature": providertest.StripeSignature(body, "whsec_api_made_stripe_secret", now)}
	if resp := send(handler(stripe.Provider{}), "stripe", sc.ID, headers, body); resp.StatusCode != 200 {
		t.Fatalf("stripe on an API connection: %d %s", resp.StatusCode, resp.Body)
	}

	var cc connection
	e.must(201, "POST", "/v1/connections", keyA, map[string]any{"kind": "custom"}, &cc)
	cbody := []byte(`{"type":"booking.created","data":{"booking_id":"bk_api"}}`)
	signed := func(secret, msgID string) map[string]string {
		h := providertest.StandardHeaders(t, secret, msgID, now, cbody)
		h["content-type"] = "application/json"
		return h
	}
	ch := handler(custom.Provider{})
	if resp := send(ch, "custom", cc.ID, signed(cc.Secret, "msg_api_1"), cbody); resp.StatusCode != 200 {
		t.Fatalf("custom on an API connection: %d %s", resp.StatusCode, resp.Body)
	}
	var rotated connection
	e.must(200, "POST", "/v1/connections/"+cc.ID+"/rotate-secret", keyA, map[string]any{}, &rotated)
	for i, secret := range []string{rotated.Secret, cc.Secret} {
		if resp := send(ch, "custom", cc.ID, signed(secret, "msg_rot_"+string(rune('a'+i))), cbody); resp.StatusCode != 200 {
			t.Fatalf("after a rotation, secret %d of 2 was refused: %d %s", i+1, resp.StatusCode, resp.Body)
		}
	}

	e.must(200, "POST", "/v1/connections/"+cc.ID+"/disable", keyA, nil, nil)
	resp := send(ch, "custom", cc.ID, signed(rotated.Secret, "msg_api_2"), cbody)
	var answer struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(resp.Body), &answer)
	if resp.StatusCode != 404 || answer.Error.Code != "CONNECTION_NOT_FOUND" {
		t.Fatalf("a disabled connection answered %d %s", resp.StatusCode, resp.Body)
	}
	page, err := e.events.ListByTenant(context.Background(), "tenant-a", store.EventFilter{}, "", 10)
	if err != nil || len(page.Items) != 4 {
		t.Fatalf("stored %d events (%v), want 4", len(page.Items), err)
	}
}
