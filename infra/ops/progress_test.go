package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgress: on a terminal a bar redrawn in place; elsewhere a plain line per tenth of
// the run, and the last.
func TestProgress(t *testing.T) {
	var term bytes.Buffer
	p := &Progress{w: &term, tty: true, label: "redrive", total: 10, shown: -1}
	p.Update(5, "moved")
	p.Done(10, "COMPLETED")
	if want := "\r\x1b[Kredrive [###############...............] 5/10 moved\r\x1b[Kredrive [##############################] 10/10 COMPLETED\n"; term.String() != want {
		t.Errorf("terminal:\n%q\nwant\n%q", term.String(), want)
	}
	var plain bytes.Buffer
	p = newProgress(&plain, "erase", 100)
	for i := 1; i <= 100; i++ {
		p.Update(i, "read")
	}
	p.Done(100, "read")
	if lines := strings.Count(plain.String(), "\n"); lines != 12 || strings.Contains(plain.String(), "\r") || !strings.HasSuffix(plain.String(), "erase 100/100 read\n") {
		t.Errorf("plain, %d lines:\n%s", lines, plain.String())
	}
}
