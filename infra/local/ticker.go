package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Ticker plays one EventBridge schedule: at every tick it invokes the function with a
// scheduled event, as the rule would.
type Ticker struct {
	Function string
	Rule     string
	Invoker  Invoker
	Logs     io.Writer
	// Ticks delivers the tick times; Run stops when it closes or ctx ends.
	Ticks <-chan time.Time
}

// ScheduledEvent is the event EventBridge sends for a schedule rule at t.
func ScheduledEvent(rule string, t time.Time) events.EventBridgeEvent {
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         "sched-" + t.UTC().Format("20060102T150405"),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  "000000000000",
		Time:       t.UTC(),
		Region:     "us-east-1",
		Resources:  []string{"arn:aws:events:us-east-1:000000000000:rule/" + rule},
		Detail:     json.RawMessage(`{}`),
	}
}

// Run invokes the function at each tick until ctx ends or the ticks stop.
func (t *Ticker) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case at, ok := <-t.Ticks:
			if !ok {
				return
			}
			payload, err := json.Marshal(ScheduledEvent(t.Rule, at))
			if err == nil {
				_, err = t.Invoker.Invoke(ctx, payload)
			}
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(t.Logs, "[schedule %s] %v\n", t.Rule, err)
			}
		}
	}
}
