package act

import (
	"context"
	"encoding/json"

	"github.com/wedsync/webhooks/shared/envelope"
)

// Command is one command event as act runs it: the event and the connection it needs.
type Command struct {
	Event envelope.Envelope
	Conn  *Connection
}

// decode reads the command's data into v.
func (c Command) decode(v any) error { return json.Unmarshal(c.Event.Data, v) }

// Runner runs one type of command. It returns how the command ended, or an error when it
// must run again later (nothing was done, or what was done is safe to do again).
type Runner interface {
	Run(ctx context.Context, cmd Command) (Outcome, error)
	// AtMostOnce says the provider cannot dedupe the call: after a run that stopped without
	// an outcome, the command ends failed with its outcome unknown rather than run again.
	AtMostOnce() bool
}
