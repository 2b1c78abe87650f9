package local_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/infra/local"
)

type recordingInvoker struct{ payloads chan []byte }

func (r recordingInvoker) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	r.payloads <- payload
	return []byte(`null`), nil
}

func TestTickerInvokesWithAScheduledEventPerTick(t *testing.T) {
	ticks := make(chan time.Time)
	inv := recordingInvoker{payloads: make(chan []byte, 2)}
	tk := &local.Ticker{Function: "scheduler", Rule: "every-minute", Invoker: inv, Logs: io.Discard, Ticks: ticks}
	done := make(chan struct{})
	go func() { tk.Run(context.Background()); close(done) }()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ticks <- at
	ticks <- at.Add(time.Minute)
	close(ticks)
	<-done
	for i := range 2 {
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(<-inv.payloads, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || !ev.Time.Equal(at.Add(time.Duration(i)*time.Minute)) ||
			len(ev.Resources) != 1 || ev.Resources[0] != "arn:aws:events:us-east-1:000000000000:rule/every-minute" {
			t.Fatalf("tick %d sent %+v", i, ev)
		}
	}
}
