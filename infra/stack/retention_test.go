package stack_test

import (
	"testing"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/testenv"
)

// TestRetentionCoversReplayWindows: a retention shorter than PayPal's replay window (72 h
// plus 5 min) is refused; four days and more are accepted.
func TestRetentionCoversReplayWindows(t *testing.T) {
	for _, days := range []int{1, 2, 3} {
		if err := stack.CheckRetention(days); err == nil {
			t.Errorf("retention of %d days accepted", days)
		}
	}
	for _, days := range []int{4, 30, 365} {
		if err := stack.CheckRetention(days); err != nil {
			t.Errorf("retention of %d days refused: %v", days, err)
		}
	}
}

// TestStackRefusesShortRetention: the stack itself refuses such a retention, whoever builds it.
func TestStackRefusesShortRetention(t *testing.T) {
	testenv.SkipShort(t, "a CDK synth")
	_, err := stack.New(stack.NewApp(nil), stack.Name, stack.Props{RetentionDays: 2})
	if err == nil || err.Error() != stack.CheckRetention(2).Error() {
		t.Fatalf("New with a 2-day retention = %v, want the retention check's error", err)
	}
}
