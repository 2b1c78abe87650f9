package retry_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/retry"
)

func TestDefaultSchedule(t *testing.T) {
	s := retry.Schedule{}
	want := []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
	for i, w := range want {
		got, ok := s.Wait(i + 1)
		if !ok || got != w {
			t.Errorf("attempt %d: %s %v, want %s", i+1, got, ok, w)
		}
	}
	if _, ok := s.Wait(11); ok {
		t.Error("an 11th attempt is allowed")
	}
}

func TestPolicies(t *testing.T) {
	lin := retry.Schedule{Policy: retry.Policy{MaxAttempts: 4, InitialDelay: 10 * time.Second}}
	exp := retry.Schedule{Policy: retry.Policy{MaxAttempts: 40, Exponential: true, InitialDelay: 10 * time.Second}}
	for n, want := range map[int]time.Duration{2: 10 * time.Second, 3: 20 * time.Second, 4: 30 * time.Second} {
		if got, _ := lin.Wait(n); got != want {
			t.Errorf("linear attempt %d: %s, want %s", n, got, want)
		}
	}
	if _, ok := lin.Wait(5); ok {
		t.Error("linear policy allows a 5th attempt")
	}
	for n, want := range map[int]time.Duration{2: 10 * time.Second, 3: 20 * time.Second, 4: 40 * time.Second, 30: 24 * time.Hour, 40: 24 * time.Hour} {
		if got, _ := exp.Wait(n); got != want {
			t.Errorf("exponential attempt %d: %s, want %s", n, got, want)
		}
	}
}

func TestJitterAndScale(t *testing.T) {
	s := retry.Schedule{Rand: rand.New(rand.NewPCG(7, 7))}
	for range 1000 {
		got, _ := s.Wait(3)
		if got < 4*time.Minute || got > 6*time.Minute {
			t.Fatalf("jittered 5 min wait %s is outside ±20 %%", got)
		}
	}
	scaled := retry.Schedule{Scale: 0.001}
	if got, _ := scaled.Wait(2); got != 5*time.Millisecond {
		t.Fatalf("scaled wait %s, want 5ms", got)
	}
}
