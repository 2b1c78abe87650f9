package local

import (
	"context"
	"sync/atomic"
	"testing"
)

// TestRuntimeAPIRaceIsRecognized: the line aws-lambda-go logs when the RIE started it before
// its runtime API listened marks the instance, once, so its failed invocation is made again.
func TestRuntimeAPIRaceIsRecognized(t *testing.T) {
	line := `2026/12/03 16:30:15 failed to get the next invoke: Get "http://127.0.0.1:46457/2018-06-01/runtime/invocation/next": dial tcp 127.0.0.1:46457: connect: connection refused`
	if !isRuntimeAPIRace(line) {
		t.Fatalf("not recognized: %s", line)
	}
	for _, other := range []string{
		`2026/12/03 16:30:15 failed to get the next invoke: Get "http://127.0.0.1:46457/2018-06-01/runtime/invocation/next": EOF`,
		`{"level":"ERROR","msg":"put event: dial tcp 127.0.0.1:28790: connect: connection refused"}`,
	} {
		if isRuntimeAPIRace(other) {
			t.Errorf("recognized: %s", other)
		}
	}
	inst := &instance{raced: new(atomic.Bool)}
	if inst.lostToRace(context.Background()) {
		t.Fatal("an instance with no such line lost no race")
	}
	inst.raced.Store(true)
	if !inst.lostToRace(context.Background()) || inst.lostToRace(context.Background()) {
		t.Fatal("the race is reported once")
	}
}
