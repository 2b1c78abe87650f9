package main

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cloneDir != "" {
		_ = os.RemoveAll(cloneDir)
	}
	os.Exit(code)
}
