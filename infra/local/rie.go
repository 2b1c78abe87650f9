package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wedsync/webhooks/shared/emulator"
)

// Pool runs one function as several RIE processes. The RIE serves one invocation at a time
// per process (a second concurrent one crashes it), so each invocation takes a free
// process and waits for one when all are busy: requests queue, they are never refused. A
// process that died is replaced before it takes another invocation.
type Pool struct {
	Name string
	spec PoolSpec
	free chan *instance
	mu   sync.Mutex
	all  []*instance
	// stopped: no dead process is replaced any more.
	stopped bool
	httpc   *http.Client
}

type instance struct {
	proc      *emulator.Process
	invokeURL string
	index     int
	mu        sync.Mutex
	current   *InFlight
	seq       uint64
	// raced is set when the runtime's log says it lost the race for the runtime API.
	raced *atomic.Bool
}

// PoolSpec says how to start a function's processes.
type PoolSpec struct {
	Name      string
	RIE       string
	Bootstrap string
	Env       []string
	Size      int
	// Logs receives the processes' output, each line prefixed with the function's name.
	Logs io.Writer
	// Verbose keeps the RIE's own INFO lines.
	Verbose bool
	// Observe, when set, is told of every invocation once it ends.
	Observe func(Invocation)
}

// StartPool starts spec.Size RIE processes on free loopback ports.
func StartPool(ctx context.Context, spec PoolSpec) (*Pool, error) {
	p := &Pool{Name: spec.Name, spec: spec, free: make(chan *instance, spec.Size), httpc: &http.Client{}}
	for i := range spec.Size {
		inst, err := startInstance(ctx, spec, i)
		if err != nil {
			p.Stop()
			return nil, err
		}
		p.all = append(p.all, inst)
		p.free <- inst
	}
	return p, nil
}

// startInstance starts process i of spec, on other free ports when one exits before
// listening (see emulator.ErrExitedEarly).
func startInstance(ctx context.Context, spec PoolSpec, i int) (*instance, error) {
	for try := 1; ; try++ {
		inst, err := startInstanceOnce(ctx, spec, i)
		if err == nil || !errors.Is(err, emulator.ErrExitedEarly) || try == emulator.PortTries {
			return inst, err
		}
	}
}

func startInstanceOnce(ctx context.Context, spec PoolSpec, i int) (*instance, error) {
	cmd, invokePort, err := rieCommand(spec.RIE, spec.Bootstrap, spec.Env)
	if err != nil {
		return nil, err
	}
	name := spec.Name
	if spec.Size > 1 {
		name = fmt.Sprintf("%s#%d", spec.Name, i+1)
	}
	pr, pw := io.Pipe()
	proc, stdout, err := emulator.Start(name, cmd, pw)
	if err != nil {
		return nil, err
	}
	raced := new(atomic.Bool)
	go prefixLines(spec.Logs, name, pr, spec.Verbose, func(line string) {
		if isRuntimeAPIRace(line) {
			raced.Store(true)
		}
	})
	go func() {
		_, _ = io.Copy(pw, stdout)
		<-proc.Done()
		pw.Close()
	}()
	if err := emulator.WaitForPort(ctx, proc, invokePort); err != nil {
		proc.Stop()
		return nil, err
	}
	return &instance{proc: proc, invokeURL: invokeURL(invokePort), index: i, raced: raced}, nil
}

// rieCommand is an RIE process serving bootstrap with env, on two free loopback ports (the
// RIE's defaults collide between processes); it returns the invoke port.
func rieCommand(rie, bootstrap string, env []string) (*exec.Cmd, int, error) {
	invokePort, err := emulator.FreePort()
	if err != nil {
		return nil, 0, err
	}
	apiPort, err := emulator.FreePort()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(invokePort),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		bootstrap)
	cmd.Env = env
	return cmd, invokePort, nil
}

func invokeURL(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/2015-03-31/functions/function/invocations"
}

var logMu sync.Mutex

// prefixLines copies r to w line by line, each prefixed with [name], and shows watch
// every line.
func prefixLines(w io.Writer, name string, r io.Reader, verbose bool, watch func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if watch != nil {
			watch(line)
		}
		if !verbose && strings.Contains(line, "(rapid)") {
			continue
		}
		if w == nil {
			continue
		}
		logMu.Lock()
		fmt.Fprintf(w, "[%s] %s\n", name, line)
		logMu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// Invoke runs one invocation on a free process, waiting for one if all are busy, and
// returns the function's raw response (an error payload when the function failed).
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	queued := time.Now()
	var inst *instance
	select {
	case inst = <-p.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	started := time.Now()
	inst.begin(p.Name, payload, started)
	out, err := p.invoke(ctx, inst, payload)
	if err != nil && inst.lostToRace(ctx) {
		out, err = p.invoke(ctx, inst, payload)
	}
	inst.end()
	if p.spec.Observe != nil {
		p.spec.Observe(Invocation{Function: p.Name, Instance: inst.index, Queued: queued,
			Wait: started.Sub(queued), Run: time.Since(started), Failed: err != nil})
	}
	p.free <- p.alive(ctx, inst)
	return out, err
}

// isRuntimeAPIRace reports whether a runtime's line says it could not reach the RIE's
// runtime API when it asked for its first invocation: the RIE sometimes starts the
// runtime before that API listens (about once in a thousand starts on a busy machine), and
// then answers the invocation 502 although the handler never ran.
func isRuntimeAPIRace(line string) bool {
	return strings.Contains(line, "runtime/invocation/next") && strings.Contains(line, "connection refused")
}

// lostToRace reports, once, whether the invocation that just failed on inst failed that
// way; the RIE starts the runtime again on the next invocation, so it is made again. The
// runtime's line may reach its reader a moment after the RIE's answer.
func (inst *instance) lostToRace(ctx context.Context) bool {
	for range 20 {
		if inst.raced.Swap(false) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return false
}

func (p *Pool) invoke(ctx context.Context, inst *instance, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inst.invokeURL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := p.httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", p.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", p.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke %s: the RIE answered %d: %s", p.Name, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// Pids lists the pool's process ids.
func (p *Pool) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	pids := make([]int, 0, len(p.all))
	for _, inst := range p.all {
		pids = append(pids, inst.proc.Pid())
	}
	return pids
}

// Stop ends every process of the pool.
func (p *Pool) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	for _, inst := range p.all {
		inst.proc.Stop()
	}
}
