package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/testenv"
)

// sleeperPool runs the test runtime under one RIE process and records what the pool
// observes.
func sleeperPool(t *testing.T) (*local.Pool, func() []local.Invocation) {
	testenv.SkipShort(t, "a bootstrap built and run under the RIE")
	t.Helper()
	wd, _ := os.Getwd()
	root, err := emulator.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	rie, err := emulator.Tool(root, "aws-lambda-rie", "run `make tools`")
	if err != nil {
		t.Fatal(err)
	}
	bootstrap, err := local.BuildPackage(t.Context(), root, filepath.Join(t.TempDir(), "bootstrap"), "./infra/local/testdata/sleeper")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []local.Invocation
	pool, err := local.StartPool(t.Context(), local.PoolSpec{Name: "sleeper", RIE: rie, Bootstrap: bootstrap, Size: 1,
		Env: []string{"AWS_LAMBDA_FUNCTION_NAME=sleeper", "AWS_LAMBDA_FUNCTION_TIMEOUT=60", "AWS_REGION=us-east-1"},
		Observe: func(inv local.Invocation) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, inv)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Stop)
	return pool, func() []local.Invocation {
		mu.Lock()
		defer mu.Unlock()
		return append([]local.Invocation(nil), seen...)
	}
}

func runtimePid(t *testing.T, pool *local.Pool) int {
	t.Helper()
	out, err := pool.Invoke(t.Context(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ Pid int }
	if err := json.Unmarshal(out, &answer); err != nil || answer.Pid == 0 {
		t.Fatalf("answer %s: %v", out, err)
	}
	return answer.Pid
}

// TestKillRuntimeMidInvocation: the runtime running an invocation is killed; that
// invocation fails, the pool reports what it was invoked with, and the next invocation
// runs on a new runtime.
func TestKillRuntimeMidInvocation(t *testing.T) {
	pool, observed := sleeperPool(t)
	first := runtimePid(t, pool)
	done := make(chan error, 1)
	go func() {
		_, err := pool.Invoke(context.Background(), []byte(`{"block":true}`))
		done <- err
	}()
	var inv local.InFlight
	eventually(t, 10*time.Second, "the blocking invocation under way", func() bool {
		if all := pool.InFlight(); len(all) == 1 {
			inv = all[0]
			return true
		}
		return false
	})
	if string(inv.Payload) != `{"block":true}` || inv.Function != "sleeper" {
		t.Fatalf("in flight: %+v", inv)
	}
	var at time.Time
	var pid int
	eventually(t, 10*time.Second, "the runtime killed", func() bool {
		var err error
		at, pid, err = pool.KillRuntime(inv)
		if errors.Is(err, local.ErrNoRuntime) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	})
	if err := <-done; err == nil {
		t.Fatal("the killed invocation succeeded")
	}
	if pid != first || at.IsZero() {
		t.Fatalf("killed pid %d at %v, want the runtime %d", pid, at, first)
	}
	if _, _, err := pool.KillRuntime(inv); !errors.Is(err, local.ErrNotInFlight) {
		t.Fatalf("killing an ended invocation: %v", err)
	}
	if next := runtimePid(t, pool); next == first {
		t.Fatalf("the next invocation ran on the killed runtime %d", first)
	}
	obs := observed()
	if len(obs) != 3 || obs[0].Failed || !obs[1].Failed || obs[2].Failed {
		t.Fatalf("observed %+v, want ok, failed, ok", obs)
	}
}

// TestPoolReplacesADeadProcess: when the RIE process itself dies, the invocation that finds
// it dead fails and the pool starts a new process for the next one.
func TestPoolReplacesADeadProcess(t *testing.T) {
	pool, _ := sleeperPool(t)
	runtimePid(t, pool)
	old := pool.Pids()[0]
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the RIE process gone", func() bool { return !alive(old) })
	if _, err := pool.Invoke(t.Context(), []byte(`{}`)); err == nil {
		t.Fatal("an invocation on a dead process succeeded")
	}
	runtimePid(t, pool)
	if now := pool.Pids()[0]; now == old {
		t.Fatalf("the pool still runs the dead process %d", old)
	}
}
