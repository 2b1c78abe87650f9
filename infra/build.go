package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// ErrBuild means a function's bootstrap could not be built.
var ErrBuild = errors.New("cannot build")

// lambdaBuildFlags and lambdaBuildEnv build a bootstrap for provided.al2023 on arm64,
// reproducibly (no paths, no VCS stamp, no GOFLAGS from the caller): the same sources give the
// same bytes, so an unchanged function keeps its asset hash on any machine. `make build` uses
// the same flags.
var (
	lambdaBuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w"}
	lambdaBuildEnv   = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-mod=readonly"}
)

// buildBootstraps builds each function into dir/<name>/bootstrap before every synthesis, so a
// binary older than its sources is never packaged; Go's build cache makes an unchanged
// function cost a copy. The build's output never reaches stdout, which the CLI owns; a failure
// names the function and the build's first error.
func buildBootstraps(ctx context.Context, root, dir string, names []string) error {
	errs := make([]error, len(names))
	slots := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			errs[i] = buildBootstrap(ctx, root, filepath.Join(dir, name, "bootstrap"), name)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func buildBootstrap(ctx context.Context, root, out, name string) error {
	args := append([]string{"build"}, lambdaBuildFlags...)
	args = append(args, "-o", out, "./functions/"+name)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), lambdaBuildEnv...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w %s: %s", ErrBuild, name, buildError(output.String(), err))
	}
	return nil
}

// buildError is the first line of go build's output that says what is wrong.
func buildError(output string, err error) string {
	for line := range strings.Lines(output) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "go: downloading") {
			return line
		}
	}
	return err.Error()
}
