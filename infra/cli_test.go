package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// These tests drive the pinned CDK CLI (.tools/cdk, installed by `make cdk-cli` when missing)
// on a copy of the working tree as a fresh clone has it: no bin/, no cdk.out/. The CLI runs
// offline, as in CI: no AWS credentials, no profile, no instance metadata.

var (
	cloneOnce sync.Once
	cloneDir  string
	cloneErr  error
)

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	root, err := emulator.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// cdkCLI is the pinned CLI, installed on first use like `make deploy` does.
func cdkCLI(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	cli := filepath.Join(root, ".tools", "cdk", "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cli); err != nil {
		cmd := exec.Command("make", "-s", "cdk-cli")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make cdk-cli: %v\n%s", err, out)
		}
	}
	return cli
}

// freshClone copies the files git tracks or would track (so uncommitted work is tested too)
// into a directory of its own, shared by the tests of this file, which run one after another.
func freshClone(t *testing.T) string {
	testenv.SkipShort(t, "the CDK CLI and a fresh clone")
	t.Helper()
	cloneOnce.Do(func() {
		root := repoRoot(t)
		out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
		if err != nil {
			cloneErr = err
			return
		}
		dir, err := os.MkdirTemp("", "wedsync-clone-")
		if err != nil {
			cloneErr = err
			return
		}
		cloneDir = dir
		for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if err := copyFile(filepath.Join(root, rel), filepath.Join(dir, rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				cloneErr = err
				return
			}
		}
	})
	if cloneErr != nil {
		t.Fatalf("copy the working tree: %v", cloneErr)
	}
	return cloneDir
}

// copyFile copies a regular file; links (a worktree's shared .tools/bin) are no clone's.
func copyFile(from, to string) error {
	info, err := os.Lstat(from)
	if err != nil || !info.Mode().IsRegular() {
		return err
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, info.Mode().Perm())
}

// offlineEnv is the environment less anything that lets the CLI reach AWS.
func offlineEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "CDK_CONTEXT_JSON", "CDK_OUTDIR":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"CDK_DISABLE_CLI_TELEMETRY=1", "CDK_DISABLE_VERSION_CHECK=1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
}

type cliRun struct {
	stdout, stderr string
	code           int
}

func cdkSynth(t *testing.T, dir string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(cdkCLI(t), append([]string{"--no-notices", "synth", "-q"}, args...)...)
	cmd.Dir, cmd.Env = dir, offlineEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run the CDK CLI: %v", err)
	}
	return cliRun{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// assetHashes maps each function to its code's asset (S3Key) in the synthesized template.
func assetHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cdk.out", stack.Name+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range tmpl.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		var fn struct {
			FunctionName string
			Code         struct{ S3Key string }
		}
		if err := json.Unmarshal(r.Properties, &fn); err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(fn.FunctionName, stack.Name+"-")] = fn.Code.S3Key
	}
	return out
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func mustSynth(t *testing.T, dir string) map[string]string {
	t.Helper()
	run := cdkSynth(t, dir)
	if run.code != 0 {
		t.Fatalf("cdk synth exited %d:\n%s", run.code, run.stderr)
	}
	if strings.TrimSpace(run.stdout) != "" {
		t.Errorf("cdk synth -q printed on stdout (the build's output must not reach it):\n%s", run.stdout)
	}
	if strings.Contains(run.stdout+run.stderr, "feature flags are not configured") {
		t.Errorf("the CLI reports unconfigured feature flags:\n%s", run.stderr)
	}
	return assetHashes(t, dir)
}

// TestCLISynthFromAFreshClone: with no bin/, the pinned CLI's `cdk synth` builds every
// bootstrap, packages exactly what a clean `make build` builds, reports no unconfigured
// feature flag, synthesizes the same hashes twice from an unchanged tree, and changes only the
// hash of the one function whose main.go changed.
func TestCLISynthFromAFreshClone(t *testing.T) {
	dir := freshClone(t)
	if _, err := os.Stat(filepath.Join(dir, "bin")); err == nil {
		t.Fatal("the fresh clone has a bin/")
	}
	first := mustSynth(t, dir)
	names := topology.Default().Names()
	if len(first) != len(names) {
		t.Fatalf("the template has %d functions, the topology %d", len(first), len(names))
	}

	t.Run("the assets are a clean make build's binaries", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(dir, "bin")); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("make", "-s", "build")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make build: %v\n%s", err, out)
		}
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(dir, "bin", name, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			if want := sha256Hex([]byte(sha256Hex(b))) + ".zip"; first[name] != want {
				t.Errorf("%s: the template packages %s, make build's binary hashes to %s", name, first[name], want)
			}
		}
	})

	t.Run("an unchanged tree synthesizes the same hashes", func(t *testing.T) {
		again := mustSynth(t, dir)
		for _, name := range names {
			if again[name] != first[name] {
				t.Errorf("%s: %s then %s", name, first[name], again[name])
			}
		}
	})

	t.Run("editing one function changes its hash and only its", func(t *testing.T) {
		edited := "ingest-zapier"
		main := filepath.Join(dir, "functions", edited, "main.go")
		src, err := os.ReadFile(main)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.WriteFile(main, src, 0o644) })
		if err := os.WriteFile(main, append(src, []byte("\nfunc init() { println(\"edited\") }\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		after := mustSynth(t, dir)
		for _, name := range names {
			changed := after[name] != first[name]
			if changed != (name == edited) {
				t.Errorf("%s: hash %s then %s (edited: %s)", name, first[name], after[name], edited)
			}
		}
	})
}

// TestBrokenInvocationsAnswerOneLine: a refused stage, missing context and a missing bootstrap
// that cannot be built each answer one line from the app (the CLI adds its own "Subprocess
// exited" line) and a non-zero exit, never a Go panic.
func TestBrokenInvocationsAnswerOneLine(t *testing.T) {
	dir := freshClone(t)
	broken := "ingest-calendly"
	for _, c := range []struct {
		name  string
		args  []string
		spoil func(t *testing.T)
		want  string
	}{
		{name: "refused stage", args: []string{"-c", "stage=local"}, want: "infra: refused stage: "},
		{name: "missing context", args: []string{"-c", "stage="}, want: `infra: missing context: "stage" is not set`},
		{name: "missing binary that cannot be built", want: "infra: cannot build " + broken + ": ", spoil: func(t *testing.T) {
			main := filepath.Join(dir, "functions", broken, "main.go")
			src, err := os.ReadFile(main)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.WriteFile(main, src, 0o644) })
			if err := os.RemoveAll(filepath.Join(dir, "bin", broken)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(main, []byte("package main\n\nfunc main() { notDefined() }\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.spoil != nil {
				c.spoil(t)
			}
			run := cdkSynth(t, dir, c.args...)
			if run.code == 0 {
				t.Fatal("cdk synth exited 0")
			}
			var ours, others []string
			for line := range strings.Lines(strings.TrimSpace(run.stderr)) {
				if strings.HasPrefix(line, "infra: ") {
					ours = append(ours, strings.TrimSpace(line))
				} else if !strings.Contains(line, "Subprocess exited with error") {
					others = append(others, line)
				}
			}
			if len(ours) != 1 || !strings.HasPrefix(ours[0], c.want) || len(others) > 0 || run.stdout != "" {
				t.Fatalf("want one line %q…, got stdout %q and stderr:\n%s", c.want, run.stdout, run.stderr)
			}
			t.Log(ours[0])
		})
	}
}
