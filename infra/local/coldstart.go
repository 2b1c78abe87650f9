package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/wedsync/webhooks/shared/emulator"
)

// ColdStart is how long a bootstrap took, over several starts, from starting it under the
// RIE to its first answer.
type ColdStart struct {
	Name      string
	SizeBytes int64
	Runs      []time.Duration
}

// Median is the median run.
func (c ColdStart) Median() time.Duration { return c.quantile(0.5) }

// P90 is the 90th percentile run.
func (c ColdStart) P90() time.Duration { return c.quantile(0.9) }

func (c ColdStart) quantile(q float64) time.Duration {
	runs := slices.Clone(c.Runs)
	slices.Sort(runs)
	if len(runs) == 0 {
		return 0
	}
	return runs[min(len(runs)-1, int(q*float64(len(runs))))]
}

// MeasureColdStart starts bootstrap under a fresh RIE process runs times and times each
// start to its first answer to payload. The bootstrap's first invocation is its init, as in
// Lambda.
func MeasureColdStart(ctx context.Context, rie, bootstrap string, env []string, payload []byte, runs int) ([]time.Duration, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	var out []time.Duration
	for range runs {
		cmd, invokePort, err := rieCommand(rie, bootstrap, env)
		if err != nil {
			return nil, err
		}
		url := invokeURL(invokePort)
		start := time.Now()
		proc, _, err := emulator.Start("coldstart", cmd, nil)
		if err != nil {
			return nil, err
		}
		elapsed, err := firstAnswer(ctx, client, url, payload, start)
		proc.Stop()
		if err != nil {
			return nil, err
		}
		out = append(out, elapsed)
	}
	return out, nil
}

// firstAnswer posts payload until the RIE accepts the connection and answers, and returns
// the time since start.
func firstAnswer(ctx context.Context, client *http.Client, url string, payload []byte, start time.Time) (time.Duration, error) {
	deadline := start.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err == nil {
			elapsed := time.Since(start)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) {
				return 0, fmt.Errorf("the function failed: %d %s", resp.StatusCode, body)
			}
			return elapsed, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return 0, fmt.Errorf("no answer within 10 s")
}
