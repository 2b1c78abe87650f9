package emulator

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// TestMain lets the test binary stand in for an emulator: with EMULATOR_TEST_LISTEN set it
// listens on that loopback port until it is killed.
func TestMain(m *testing.M) {
	if port := os.Getenv("EMULATOR_TEST_LISTEN"); port != "" {
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			os.Exit(3)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				os.Exit(0)
			}
			c.Close()
		}
	}
	os.Exit(m.Run())
}

func TestFreePortIsBelowTheEphemeralRange(t *testing.T) {
	for range 20 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if port < freePortFloor || port >= ephemeralLow() {
			t.Fatalf("port %d is outside [%d, %d)", port, freePortFloor, ephemeralLow())
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("port %d is not free: %v", port, err)
		}
		l.Close()
	}
}

// TestStartTriesAnotherPortWhenTheProcessExitsFirst: a process that ends before listening
// on a port picked free is started again on another; on a port the caller chose, or after
// PortTries, the start fails with ErrExitedEarly.
func TestStartTriesAnotherPortWhenTheProcessExitsFirst(t *testing.T) {
	ctx := context.Background()
	var ports []string
	command := func(exitFirst int) func(string) *exec.Cmd {
		return func(port string) *exec.Cmd {
			ports = append(ports, port)
			if len(ports) <= exitFirst {
				return exec.Command(os.Args[0], "-test.run=^$", "-no-such-flag")
			}
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "EMULATOR_TEST_LISTEN="+port)
			return cmd
		}
	}
	p, err := startOnPort(ctx, "flaky", 0, nil, command(1))
	if err != nil {
		t.Fatalf("second port: %v", err)
	}
	p.Stop()
	if len(ports) != 2 || ports[0] == ports[1] {
		t.Fatalf("ports tried: %v", ports)
	}

	ports = nil
	if _, err := startOnPort(ctx, "dead", 0, nil, command(PortTries)); !errors.Is(err, ErrExitedEarly) || len(ports) != PortTries {
		t.Fatalf("after %d ports: %v (%d tried)", PortTries, err, len(ports))
	}
	ports = nil
	fixed, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := startOnPort(ctx, "fixed", fixed, nil, command(1)); !errors.Is(err, ErrExitedEarly) || len(ports) != 1 {
		t.Fatalf("a chosen port: %v (%d tried)", err, len(ports))
	}
}
