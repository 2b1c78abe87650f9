package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stripe/stripe-go/v85"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/envelope"
)

// Outcome is how a command ended.
type Outcome struct {
	Failed bool
	// Reason says why it failed, in the provider's words when the provider refused.
	Reason string
	// Data is what the provider gave back (ids, counts) or its error's details.
	Data map[string]any
}

func succeeded(data map[string]any) Outcome { return Outcome{Data: data} }

func failed(reason string, data map[string]any) Outcome {
	return Outcome{Failed: true, Reason: reason, Data: data}
}

// endOf turns a provider call's error into how the command ends. A refusal, retries run
// out, or an unknown outcome end it failed; a full rate limit, our own AWS calls failing or
// the invocation running out of time leave it to run again later (the error).
func endOf(err error) (Outcome, error) {
	var aws *smithy.OperationError
	var pe *connectors.ProviderError
	var se *stripe.Error
	switch {
	case errors.Is(err, connectors.ErrOutcomeUnknown):
		return failed("outcome unknown: the call broke off before the provider answered, and it cannot be retried safely", nil), nil
	case errors.Is(err, connectors.ErrRateLimited), errors.As(err, &aws),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Outcome{}, err
	case errors.As(err, &pe):
		return failed(pe.Message, map[string]any{"provider_status": pe.Status, "provider_code": pe.Code}), nil
	case errors.As(err, &se):
		msg := se.Msg
		if msg == "" {
			msg = http.StatusText(se.HTTPStatusCode)
		}
		return failed(msg, map[string]any{"provider_status": se.HTTPStatusCode, "provider_code": string(se.Code)}), nil
	}
	return failed(err.Error(), nil), nil
}

// outcomeID is the id of a command's outcome event: one per command, whatever it was.
func outcomeID(cmd envelope.Envelope) string {
	return envelope.EventID("act:"+cmd.TenantID, cmd.ID)
}

// outcomeEnvelope is the command.succeeded or command.failed event of cmd, caused by it.
func outcomeEnvelope(cmd envelope.Envelope, conn *Connection, o Outcome, now time.Time) (envelope.Envelope, error) {
	data := map[string]any{"command_type": cmd.Type, "command_id": cmd.ID}
	connectionID := cmd.ConnectionID
	if conn != nil {
		data["provider"], connectionID = conn.Kind, conn.ID
	}
	if len(o.Data) > 0 {
		data["result"] = o.Data
	}
	typ := envelope.CommandSucceeded
	if o.Failed {
		typ, data["reason"] = envelope.CommandFailed, o.Reason
	}
	b, err := json.Marshal(data)
	if err != nil {
		return envelope.Envelope{}, fmt.Errorf("outcome of %s: %w", cmd.ID, err)
	}
	correlation := cmd.CorrelationID
	if correlation == "" {
		correlation = cmd.ID
	}
	return envelope.Envelope{
		SpecVersion: envelope.SpecVersion, ID: outcomeID(cmd), Type: typ, Source: "wedsync/act", Time: now.UTC(),
		DataContentType: "application/json", TenantID: cmd.TenantID, ConnectionID: connectionID, Provider: "wedsync",
		CorrelationID: correlation, CausationID: cmd.ID, Origin: envelope.OriginReaction, EventVersion: envelope.Version, Data: b,
	}, nil
}

// redact removes the connection's secrets from what a provider said, should it echo them.
func redact(o Outcome, conn *Connection) Outcome {
	if conn == nil {
		return o
	}
	s := conn.Secret
	secretValues := []string{s.APIKey, s.HookURL}
	if s.OAuth2 != nil {
		secretValues = append(secretValues, s.OAuth2.ClientSecret, s.OAuth2.RefreshToken)
	}
	scrub := func(v string) string {
		for _, secret := range secretValues {
			if len(secret) >= 4 {
				v = strings.ReplaceAll(v, secret, "[redacted]")
			}
		}
		return v
	}
	o.Reason = scrub(o.Reason)
	for k, v := range o.Data {
		if str, ok := v.(string); ok {
			o.Data[k] = scrub(str)
		}
	}
	return o
}
