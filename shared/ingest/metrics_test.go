package ingest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/metrics"
)

// TestMetrics: ingest emits an EMF line per event received, duplicate and rejection.
func TestMetrics(t *testing.T) {
	p := newPipeline(t, options{})
	var buf bytes.Buffer
	p.stripe.Metrics = &metrics.Recorder{W: &buf, Now: func() time.Time { return now }}
	body := stripeFixture(t)
	req := request("POST", "stripe", "conn-stripe", stripeHeaders(body, stripeSecret, now), body)
	invoke(t, p.stripe, req)
	invoke(t, p.stripe, req)
	invoke(t, p.stripe, request("POST", "stripe", "conn-stripe", stripeHeaders(body, "whsec_other", now), body))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d metric lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{`"EventsReceived":1`, `"Duplicates":1`, `"EventsRejected":1`} {
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], `"Provider":"stripe"`) || !strings.Contains(lines[i], `"_aws"`) {
			t.Errorf("line %d = %s, want %s", i+1, lines[i], want)
		}
	}
	if !strings.Contains(lines[2], `"Reason":"INVALID_SIGNATURE"`) || strings.Contains(buf.String(), stripeSecret) {
		t.Errorf("rejection line %s", lines[2])
	}
}
