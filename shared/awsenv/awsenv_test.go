package awsenv_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
)

func TestRequireNamesEveryMissingVariable(t *testing.T) {
	t.Setenv("WEDSYNC_TEST_PRESENT", "x")
	t.Setenv("WEDSYNC_TEST_ABSENT_A", "")
	_, err := awsenv.Require("WEDSYNC_TEST_PRESENT", "WEDSYNC_TEST_ABSENT_A", "WEDSYNC_TEST_ABSENT_B")
	if err == nil || !strings.Contains(err.Error(), "WEDSYNC_TEST_ABSENT_A") || !strings.Contains(err.Error(), "WEDSYNC_TEST_ABSENT_B") ||
		strings.Contains(err.Error(), "WEDSYNC_TEST_PRESENT") {
		t.Fatalf("got %v", err)
	}
	got, err := awsenv.Require("WEDSYNC_TEST_PRESENT")
	if err != nil || got["WEDSYNC_TEST_PRESENT"] != "x" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestDuration(t *testing.T) {
	t.Setenv("WEDSYNC_TEST_D", "")
	if d, err := awsenv.Duration("WEDSYNC_TEST_D", time.Second); d != time.Second || err != nil {
		t.Fatalf("default: %v %v", d, err)
	}
	t.Setenv("WEDSYNC_TEST_D", "100ms")
	if d, err := awsenv.Duration("WEDSYNC_TEST_D", time.Second); d != 100*time.Millisecond || err != nil {
		t.Fatalf("set: %v %v", d, err)
	}
	t.Setenv("WEDSYNC_TEST_D", "soon")
	if _, err := awsenv.Duration("WEDSYNC_TEST_D", time.Second); err == nil {
		t.Fatal("a bad duration was accepted")
	}
}

func TestLoadRejectsBadCallTimeout(t *testing.T) {
	t.Setenv("WEDSYNC_AWS_CALL_TIMEOUT", "0s")
	if _, err := awsenv.Load(t.Context()); err == nil {
		t.Fatal("a zero call timeout was accepted")
	}
}
