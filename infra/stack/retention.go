package stack

import (
	"fmt"
	"time"

	"github.com/wedsync/webhooks/shared/providers"
)

// CheckRetention refuses a retention shorter than the longest time a provider's signed
// request stays acceptable (PayPal's 72 h plus 5 min of skew): events are the dedupe keys,
// and one that expires first lets a replay in as a new event.
func CheckRetention(days int) error {
	longest := providers.LongestReplayWindow()
	if time.Duration(days)*24*time.Hour < longest {
		return fmt.Errorf("retentionDays=%d is shorter than the longest provider replay window (%s); use at least %d",
			days, longest, int((longest+24*time.Hour-1)/(24*time.Hour)))
	}
	return nil
}
