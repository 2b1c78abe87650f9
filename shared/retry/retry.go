package retry

import (
	"math/rand/v2"
	"time"
)

// Default is the Standard Webhooks schedule: the wait before each attempt, the first
// (immediate) included. Its length is the default number of attempts.
var Default = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// MaxWait caps any policy's wait.
const MaxWait = 24 * time.Hour

// Jitter is the relative spread of each wait.
const Jitter = 0.2

// Policy is a subscription's retry policy; the zero Policy is the default schedule.
type Policy struct {
	MaxAttempts  int
	Exponential  bool
	InitialDelay time.Duration
}

// Schedule decides waits.
type Schedule struct {
	Policy Policy
	// Scale multiplies every wait (WEDSYNC_RETRY_SCALE); 0 means 1.
	Scale float64
	// Rand draws the jitter; nil means no jitter.
	Rand *rand.Rand
}

// Attempts is how many attempts the policy allows, the first included.
func (s Schedule) Attempts() int {
	if s.Policy.MaxAttempts > 0 {
		return s.Policy.MaxAttempts
	}
	return len(Default)
}

// Wait returns the wait before attempt n (1-based; attempt 1 is immediate) and whether
// attempt n is allowed at all.
func (s Schedule) Wait(n int) (time.Duration, bool) {
	if n < 1 || n > s.Attempts() {
		return 0, false
	}
	if n == 1 {
		return 0, true
	}
	var base time.Duration
	switch {
	case s.Policy.MaxAttempts == 0:
		base = Default[n-1]
	case s.Policy.Exponential:
		base = s.Policy.InitialDelay << (n - 2)
		if base <= 0 || base > MaxWait {
			base = MaxWait
		}
	default:
		base = s.Policy.InitialDelay * time.Duration(n-1)
	}
	base = min(base, MaxWait)
	if s.Rand != nil {
		base = time.Duration(float64(base) * (1 - Jitter + 2*Jitter*s.Rand.Float64()))
	}
	if s.Scale > 0 {
		base = time.Duration(float64(base) * s.Scale)
	}
	return base, true
}
