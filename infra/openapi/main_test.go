package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wedsync/webhooks/shared/testenv"
)

const docsDir = "../../docs"

// TestNoDrift: docs/ holds exactly what make openapi writes, so the committed OpenAPI
// document, schemas, catalog and changelog cannot drift from the code.
func TestNoDrift(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(docsDir, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/%s differs from the code (%v): run make openapi", name, err)
		}
	}
	err = filepath.WalkDir(filepath.Join(docsDir, "schemas"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(docsDir, path)
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			t.Errorf("docs/%s is not generated any more: run make openapi", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRedoclyLint: the committed document passes @redocly/cli lint (recommended rules,
// the CLI pinned under .tools/) with no error and no warning. Telemetry is off.
func TestRedoclyLint(t *testing.T) {
	testenv.SkipShort(t, "Node and @redocly/cli")
	cli := filepath.Join("..", "..", ".tools", "node_modules", "@redocly", "cli", "bin", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("@redocly/cli is not installed under .tools/ (run `npm ci --prefix .tools`, or make test): %v", err)
	}
	cmd := exec.Command("node", cli, "lint", filepath.Join(docsDir, "openapi.json"), "--format=json")
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	var report struct {
		Totals struct {
			Errors   int `json:"errors"`
			Warnings int `json:"warnings"`
		} `json:"totals"`
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("redocly lint answered no JSON report (%v): %s\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	for _, p := range report.Problems {
		t.Errorf("%s %s: %s", p.Severity, p.RuleID, p.Message)
	}
	if report.Totals.Errors+report.Totals.Warnings > 0 || err != nil {
		t.Fatalf("redocly lint: %d errors, %d warnings (exit %v)", report.Totals.Errors, report.Totals.Warnings, err)
	}
}
