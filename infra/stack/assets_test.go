package stack_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wedsync/webhooks/infra/stack"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestAssetHashIsTheBootstrapsContent: a function's code is hashed from its bootstrap's bytes
// alone (not its path or times), so an unchanged binary keeps its hash on any machine. The
// placeholders live in a fresh temporary directory on every run.
func TestAssetHashIsTheBootstrapsContent(t *testing.T) {
	built, _, doc := defaultStack(t)
	resources := doc["Resources"].(map[string]any)
	for _, f := range topology.Default().Functions {
		fn := resources[logicalID(built.Stack, built.Functions[f.Name])].(map[string]any)
		key := fn["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"]
		// CDK hashes a custom asset hash once more.
		want := sha256Hex([]byte(sha256Hex([]byte("placeholder "+f.Name)))) + ".zip"
		if key != want {
			t.Errorf("%s: S3Key %v, want %s (the hash of its bootstrap's bytes)", f.Name, key, want)
		}
	}
}

// TestBootstrapThatCannotBePackagedIsAnError: a missing or unreadable bootstrap, or a file
// beside it, is ErrBootstrap, never a panic.
func TestBootstrapThatCannotBePackagedIsAnError(t *testing.T) {
	testenv.SkipShort(t, "a CDK synth")
	spec := topology.Default()
	for name, spoil := range map[string]func(fnDir string) error{
		"missing":    func(fnDir string) error { return os.Remove(filepath.Join(fnDir, "bootstrap")) },
		"unreadable": func(fnDir string) error { return os.Mkdir(filepath.Join(fnDir, "bootstrap"), 0o755) },
		"not alone":  func(fnDir string) error { return os.WriteFile(filepath.Join(fnDir, "notes.txt"), []byte("x"), 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range spec.Functions {
				if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			spoilt := spec.Functions[len(spec.Functions)-1].Name
			if name == "unreadable" {
				if err := os.Remove(filepath.Join(dir, spoilt, "bootstrap")); err != nil {
					t.Fatal(err)
				}
			}
			if err := spoil(filepath.Join(dir, spoilt)); err != nil {
				t.Fatal(err)
			}
			_, err := stack.New(stack.NewApp(nil), stack.Name, stack.Props{Spec: spec, BootstrapDir: dir})
			if !errors.Is(err, stack.ErrBootstrap) {
				t.Fatalf("New = %v, want ErrBootstrap", err)
			}
			t.Log(err)
		})
	}
}
