package awsenv

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/secrets"
)

// The local stack's knobs on the functions' AWS clients, refused in every other stage.
const (
	// FaultsEnv holds a fault plan (ParseFaults), e.g. "sqs.send=0.05,dynamodb.throttle=0.05,seed=7".
	FaultsEnv = "WEDSYNC_FAULTS"
	// StatsEnv names a file every AWS call is appended to as a CallStat line.
	StatsEnv = "WEDSYNC_AWS_STATS"
)

// ErrLocalOnly means a knob of the local stack is set in another stage.
var ErrLocalOnly = errors.New("allowed only in the local stack (WEDSYNC_STAGE=local)")

// LocalOptions returns the SDK middleware the local-only knobs of s ask for: call stats
// first (so they see injected answers), then faults. Either knob set while the stage is not
// the local stage is an error, so a deployed function refuses to start.
func LocalOptions(s Settings) ([]func(*middleware.Stack) error, error) {
	stage, faults, stats := s.Stage, s.Faults, s.Stats
	if faults == "" && stats == "" {
		return nil, nil
	}
	if stage != secrets.StageLocal {
		var set []string
		for name, v := range map[string]string{FaultsEnv: faults, StatsEnv: stats} {
			if v != "" {
				set = append(set, name)
			}
		}
		return nil, fmt.Errorf("%v in stage %q: %w", set, stage, ErrLocalOnly)
	}
	var opts []func(*middleware.Stack) error
	if stats != "" {
		f, err := os.OpenFile(stats, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", StatsEnv, err)
		}
		opts = append(opts, CallStats(f, s.Function, os.Getpid()))
	}
	if faults != "" {
		plan, err := ParseFaults(faults)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", FaultsEnv, err)
		}
		opts = append(opts, Respond(plan.Decide(uint64(os.Getpid()))))
	}
	return opts, nil
}
