package smoke

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/webhooks/infra/local"
)

// Errors a smoke run reports, each wrapped with the provider and event it concerns.
var (
	// ErrRejected means the ingest route did not answer 200.
	ErrRejected = errors.New("ingest refused the sample")
	// ErrNotListed means the event never appeared in /v1/events.
	ErrNotListed = errors.New("event not found in /v1/events")
	// ErrWrongType means the event was stored with another type than its provider's mapping.
	ErrWrongType = errors.New("event has the wrong type")
)

// WantTypes are the normalized types of each provider's default sample
// (local.DefaultSamples), one per event it holds.
var WantTypes = map[string][]string{
	"stripe":    {"payment.received"},
	"paypal":    {"payment.received"},
	"custom":    {"booking.created"},
	"zapier":    {"booking.updated"},
	"calendly":  {"booking.created"},
	"mailchimp": {"contact.subscribed"},
	"mandrill":  {"message.sent", "message.bounced", "provider.unmapped"},
}

// Config says which stack to check and through which connections.
type Config struct {
	// BaseURL is the stack's API base URL; APIKey a key of the tenant owning the connections.
	BaseURL string
	APIKey  string
	// Root is the repository root, where the providers' samples live.
	Root string
	// Connections are sent one sample each.
	Connections []local.ConnectionState
	// Client defaults to a client with a 15 s timeout; Now to time.Now.
	Client *http.Client
	Now    func() time.Time
	// Within is how long an event may take to appear in /v1/events (default 30 s).
	Within time.Duration
}

// Result is one event the smoke run sent and found.
type Result struct {
	Kind    string
	EventID string
	Type    string
}

// Run sends each connection's sample and checks that every event it yields is listed in
// /v1/events with the type its provider maps it to.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Within == 0 {
		cfg.Within = 30 * time.Second
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	var results []Result
	for _, conn := range cfg.Connections {
		ids, err := send(ctx, cfg, conn)
		if err != nil {
			return results, err
		}
		types, err := listedTypes(ctx, cfg, conn.Kind, ids)
		if err != nil {
			return results, err
		}
		got, want := slices.Sorted(slices.Values(types)), slices.Sorted(slices.Values(WantTypes[conn.Kind]))
		if !slices.Equal(got, want) {
			return results, fmt.Errorf("%w: %s's sample became %v, want %v", ErrWrongType, conn.Kind, got, want)
		}
		for i, id := range ids {
			results = append(results, Result{Kind: conn.Kind, EventID: id, Type: types[i]})
		}
	}
	return results, nil
}

// send posts the connection's sample, fresh and signed, and returns the event ids it answers.
func send(ctx context.Context, cfg Config, conn local.ConnectionState) ([]string, error) {
	sample, ok := local.DefaultSamples[conn.Kind]
	if !ok {
		return nil, fmt.Errorf("no sample for provider %q", conn.Kind)
	}
	body, err := local.SampleBody(cfg.Root, conn.Kind, sample)
	if err != nil {
		return nil, err
	}
	now := cfg.Now()
	if body, err = local.Fresh(conn.Kind, body, now); err != nil {
		return nil, err
	}
	target, headers, err := local.Sign(conn, "msg_smoke_"+randomHex(8), body, now)
	if err != nil {
		return nil, fmt.Errorf("sign %s's sample: %w", conn.Kind, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	status, answer, err := do(cfg.Client, req)
	if err != nil {
		return nil, fmt.Errorf("post %s's sample to %s: %w", conn.Kind, conn.IngestURL, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %d %s", ErrRejected, conn.IngestURL, status, answer)
	}
	var a struct {
		Data struct {
			EventID string `json:"event_id"`
			Events  []struct {
				EventID string `json:"event_id"`
			} `json:"events"`
		} `json:"data"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return nil, fmt.Errorf("%w: %s answered %s", ErrRejected, conn.IngestURL, answer)
	}
	ids := []string{}
	if a.Data.EventID != "" {
		ids = append(ids, a.Data.EventID)
	}
	for _, e := range a.Data.Events {
		ids = append(ids, e.EventID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: %s answered no event id: %s", ErrRejected, conn.IngestURL, answer)
	}
	return ids, nil
}

// listedTypes waits up to cfg.Within until every id is listed in /v1/events and returns the
// type each is listed with. It reads the list, not only each event, so the tenant index and
// the API's grants on it are checked too.
func listedTypes(ctx context.Context, cfg Config, kind string, ids []string) ([]string, error) {
	wait, cancel := context.WithTimeout(ctx, cfg.Within)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		found, err := listed(wait, cfg, ids)
		if err != nil && wait.Err() == nil {
			return nil, err
		}
		if len(found) == len(ids) {
			types := make([]string, len(ids))
			for i, id := range ids {
				types[i] = found[id]
			}
			return types, nil
		}
		select {
		case <-wait.Done():
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var missing []string
			for _, id := range ids {
				if _, ok := found[id]; !ok {
					missing = append(missing, id)
				}
			}
			return nil, fmt.Errorf("%w: %s's %v within %s", ErrNotListed, kind, missing, cfg.Within)
		case <-tick.C:
		}
	}
}

// maxPages bounds how far back a smoke run looks in a busy tenant's events.
const maxPages = 20

// listed pages through /v1/events, newest first, and returns the type of each id it finds.
func listed(ctx context.Context, cfg Config, ids []string) (map[string]string, error) {
	found := map[string]string{}
	cursor := ""
	for range maxPages {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.BaseURL+"/v1/events?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("authorization", "Bearer "+cfg.APIKey)
		req.Header.Set("accept", "application/json")
		status, answer, err := do(cfg.Client, req)
		if err != nil {
			return nil, fmt.Errorf("list /v1/events: %w", err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("list /v1/events: %d %s", status, answer)
		}
		var page struct {
			Data struct {
				Events []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"events"`
				NextCursor string `json:"next_cursor"`
			} `json:"data"`
		}
		if err := json.Unmarshal(answer, &page); err != nil {
			return nil, fmt.Errorf("list /v1/events: %w", err)
		}
		for _, e := range page.Data.Events {
			if slices.Contains(ids, e.ID) {
				found[e.ID] = e.Type
			}
		}
		if len(found) == len(ids) || page.Data.NextCursor == "" {
			break
		}
		cursor = page.Data.NextCursor
	}
	return found, nil
}

func do(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
