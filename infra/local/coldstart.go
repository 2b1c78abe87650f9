package local

import (
	"bytes"
	"context"
	"errors"
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
		var elapsed time.Duration
		var err error
		for try := 1; try == 1 || errors.Is(err, errHarness) && try <= emulator.PortTries; try++ {
			elapsed, err = coldStart(ctx, client, rie, bootstrap, env, payload)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, elapsed)
	}
	return out, nil
}

// coldStart times one start of bootstrap under a fresh RIE process to its first answer.
func coldStart(ctx context.Context, client *http.Client, rie, bootstrap string, env []string, payload []byte) (time.Duration, error) {
	cmd, invokePort, err := rieCommand(rie, bootstrap, env)
	if err != nil {
		return 0, err
	}
	var logs emulator.LockedBuffer
	start := time.Now()
	proc, stdout, err := emulator.Start("coldstart", cmd, &logs)
	if err != nil {
		return 0, err
	}
	go io.Copy(&logs, stdout)
	elapsed, err := firstAnswer(ctx, client, proc, invokeURL(invokePort), payload, start)
	proc.Stop()
	switch out := logs.String(); {
	case err == nil:
		return elapsed, nil
	case errors.Is(err, emulator.ErrExitedEarly),
		isRuntimeAPIRace(out):
		return 0, fmt.Errorf("%w: %w\n%s", errHarness, err, out)
	default:
		return 0, fmt.Errorf("%w\n%s", err, out)
	}
}

// errHarness marks a start that failed before the bootstrap ran its code: the RIE could not
// bind its port, or it started the runtime before its runtime API listened (the runtime's
// first request for an invocation refused; it happens about once in a thousand starts on a
// busy machine). Such a start is made again.
var errHarness = errors.New("the RIE failed to start the bootstrap")

// firstAnswer posts payload until the RIE accepts the connection and answers, and returns
// the time since start; ErrExitedEarly when the RIE ends first (it could not bind a port).
func firstAnswer(ctx context.Context, client *http.Client, proc *emulator.Process, url string, payload []byte, start time.Time) (time.Duration, error) {
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
		case <-proc.Done():
			return 0, fmt.Errorf("the RIE %w", emulator.ErrExitedEarly)
		case <-time.After(time.Millisecond):
		}
	}
	return 0, fmt.Errorf("no answer within 10 s")
}
