package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Invocation is one finished invocation, as a pool's observer sees it: how long it waited
// for a free process (the pool's queue) and how long the process took to answer.
type Invocation struct {
	Function string
	Instance int
	Queued   time.Time
	Wait     time.Duration
	Run      time.Duration
	Failed   bool
}

// InFlight is an invocation under way on one of a pool's processes, with what it was
// invoked with.
type InFlight struct {
	Function string
	Instance int
	Seq      uint64
	Started  time.Time
	Payload  []byte
}

// Errors of KillRuntime.
var (
	// ErrNotInFlight means the invocation had ended before it could be killed.
	ErrNotInFlight = errors.New("the invocation is no longer under way")
	// ErrNoRuntime means the RIE process had no runtime process to kill.
	ErrNoRuntime = errors.New("no runtime process under the RIE")
)

func (inst *instance) begin(function string, payload []byte, at time.Time) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	inst.seq++
	inst.current = &InFlight{Function: function, Instance: inst.index, Seq: inst.seq, Started: at, Payload: payload}
}

func (inst *instance) end() {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	inst.current = nil
}

// InFlight lists the invocations under way.
func (p *Pool) InFlight() []InFlight {
	p.mu.Lock()
	all := append([]*instance(nil), p.all...)
	p.mu.Unlock()
	var out []InFlight
	for _, inst := range all {
		inst.mu.Lock()
		if inst.current != nil {
			out = append(out, *inst.current)
		}
		inst.mu.Unlock()
	}
	return out
}

// KillRuntime sends SIGKILL to the runtime (the bootstrap under the RIE) running inv, if it
// still runs it, and returns when it did so and the runtime's pid. The RIE answers that
// invocation with Runtime.ExitError and starts a new runtime for the next one, as Lambda
// replaces a crashed execution environment.
func (p *Pool) KillRuntime(inv InFlight) (time.Time, int, error) {
	p.mu.Lock()
	var inst *instance
	for _, i := range p.all {
		if i.index == inv.Instance {
			inst = i
		}
	}
	p.mu.Unlock()
	if inst == nil {
		return time.Time{}, 0, fmt.Errorf("%s has no instance %d: %w", p.Name, inv.Instance, ErrNotInFlight)
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.current == nil || inst.current.Seq != inv.Seq {
		return time.Time{}, 0, fmt.Errorf("%s#%d: %w", p.Name, inv.Instance+1, ErrNotInFlight)
	}
	children := childPids(inst.proc.Pid())
	if len(children) == 0 {
		return time.Time{}, 0, fmt.Errorf("%s#%d: %w", p.Name, inv.Instance+1, ErrNoRuntime)
	}
	at := time.Now()
	for _, pid := range children {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return time.Time{}, 0, fmt.Errorf("kill %s#%d runtime %d: %w", p.Name, inv.Instance+1, pid, err)
		}
	}
	return at, children[0], nil
}

// alive returns inst, or a new process in its place when it died; when none can be
// started it returns inst, whose next invocation then fails.
func (p *Pool) alive(ctx context.Context, inst *instance) *instance {
	if !inst.dead() {
		return inst
	}
	p.mu.Lock()
	stopped := p.stopped
	p.mu.Unlock()
	if stopped {
		return inst
	}
	fresh, err := startInstance(ctx, p.spec, inst.index)
	if err != nil {
		if p.spec.Logs != nil {
			fmt.Fprintf(p.spec.Logs, "[%s] could not replace a dead process: %v\n", p.Name, err)
		}
		return inst
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		fresh.proc.Stop()
		return inst
	}
	for i, old := range p.all {
		if old == inst {
			p.all[i] = fresh
		}
	}
	return fresh
}

// dead reports whether the RIE process has exited. Done closes only once every process
// that shares its output pipes has closed them too, so /proc is asked as well.
func (inst *instance) dead() bool {
	select {
	case <-inst.proc.Done():
		return true
	default:
		state, _, ok := procStat(inst.proc.Pid())
		return !ok || state == "Z"
	}
}

// procStat reads a process's state and parent from /proc; ok is false when it is gone.
func procStat(pid int) (state string, parent int, ok bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	parent, _ = strconv.Atoi(fields[1])
	return fields[0], parent, true
}

// childPids lists the live processes whose parent is pid, read from /proc.
func childPids(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, parent, ok := procStat(child); ok && state != "Z" && parent == pid {
			out = append(out, child)
		}
	}
	return out
}

// Pool returns the pool that runs a function of the stack.
func (s *Stack) Pool(function string) (*Pool, bool) {
	for _, p := range s.pools {
		if p.Name == function {
			return p, true
		}
	}
	return nil, false
}
