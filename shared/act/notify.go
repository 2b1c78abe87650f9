package act

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/wedsync/webhooks/shared/connectors"
)

// Notify runs notification.send as a POST to the tenant's Zapier catch hook, in the shape
// our own Zapier ingest takes: {"event_type", "id", "timestamp", "data"}.
type Notify struct{}

var _ Runner = Notify{}

// AtMostOnce is true: a catch hook runs its Zap for every POST.
func (Notify) AtMostOnce() bool { return true }

// Run posts the notification.
func (Notify) Run(ctx context.Context, cmd Command) (Outcome, error) {
	body, err := json.Marshal(map[string]any{
		"event_type": cmd.Event.Type, "id": cmd.Event.ID, "timestamp": cmd.Event.Time, "data": cmd.Event.Data,
	})
	if err != nil {
		return Outcome{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cmd.Conn.Secret.HookURL, bytes.NewReader(body))
	if err != nil {
		return Outcome{}, err
	}
	req.Header.Set("content-type", "application/json")
	var answer struct {
		Status    string `json:"status"`
		ID        string `json:"id"`
		RequestID string `json:"request_id"`
	}
	if err := connectors.DoJSON(cmd.Conn.HTTP, "zapier", req, &answer); err != nil {
		return endOf(err)
	}
	return succeeded(map[string]any{"status": answer.Status, "zapier_id": firstOf(answer.ID, answer.RequestID)}), nil
}
