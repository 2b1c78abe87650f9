// Command openapi writes the reference generated from the code into docs/ (make openapi):
// the OpenAPI document, each event type's JSON Schema per version, the event catalog and
// the changelog. A test fails when the committed files differ from what it would write.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

func main() {
	dir := flag.String("dir", "docs", "the docs directory to write into")
	flag.Parse()
	files, err := Files()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	if err := os.RemoveAll(filepath.Join(*dir, "schemas")); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(*dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "openapi:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "openapi:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("openapi: wrote %d files under %s/\n", len(names), *dir)
}
