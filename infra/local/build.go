package local

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildFlags are the flags every bootstrap is built with, here and for AWS.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// Build compiles each function into outDir/<name>/bootstrap for the host architecture.
func Build(ctx context.Context, root, outDir string, names []string) (map[string]string, error) {
	paths := map[string]string{}
	for _, name := range names {
		out, err := BuildPackage(ctx, root, filepath.Join(outDir, name, "bootstrap"), "./functions/"+name)
		if err != nil {
			return nil, err
		}
		paths[name] = out
	}
	return paths, nil
}

// BuildPackage compiles one main package into out with BuildFlags, for the host.
func BuildPackage(ctx context.Context, root, out, pkg string) (string, error) {
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, stderr.String())
	}
	return out, nil
}
