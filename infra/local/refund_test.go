package local_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// testRefund (acceptance 7) posts the custom booking.cancelled sample, as make send does, and
// waits for its refund command to end in a refund on the stack's stripe-mock: process
// derives payment.refund, routes it to act (dev-stripe has outbound credentials), act
// refunds through stripe-go and records command.succeeded.
func testRefund(t *testing.T, st local.State, db store.DynamoDB) {
	wd, _ := os.Getwd()
	root, _ := emulator.Root(wd)
	body, err := local.SampleBody(root, "custom", "booking.cancelled")
	if err != nil {
		t.Fatal(err)
	}
	h, err := local.SignedHeaders("custom", st.Connections["custom"].Secret, "msg_refund_sample", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	status, answer := post(t, st.Connections["custom"].IngestURL, h, body)
	var a accepted
	if err := json.Unmarshal([]byte(answer), &a); status != 200 || err != nil {
		t.Fatalf("post the sample: %d %s", status, answer)
	}
	refund := envelope.EventID("reaction:"+st.Tenant, a.Data.EventID+"\x00refund")
	outcome := envelope.EventID("act:"+st.Tenant, refund)
	events := &store.Events{DB: db, Table: st.Tables[topology.TableEvents]}
	var env envelope.Envelope
	eventually(t, 60*time.Second, "the refund's outcome", func() bool {
		ev, err := events.Get(context.Background(), outcome)
		return err == nil && json.Unmarshal(ev.Envelope, &env) == nil
	})
	var data struct {
		Reason string `json:"reason"`
		Result struct {
			RefundID  string `json:"refund_id"`
			PaymentID string `json:"payment_id"`
		} `json:"result"`
	}
	_ = json.Unmarshal(env.Data, &data)
	if env.Type != envelope.CommandSucceeded || !strings.HasPrefix(data.Result.RefundID, "re_") || data.Result.PaymentID != "pi_3QwedsyncDeposit8812" {
		t.Fatalf("outcome %s: %s", env.Type, env.Data)
	}
}
