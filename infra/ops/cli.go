package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ErrUsage means the command line is not one ops understands; the usage follows.
var ErrUsage = errors.New("usage")

// common are the flags every verb takes.
type common struct {
	stack, stage string
	json, dryRun bool
}

// verb is one operator action: its flags, what it does, and how it runs.
type verb struct {
	name, summary string
	// flags adds the verb's own flags; run does the work once they are parsed.
	flags func(fs *flag.FlagSet) func(env *runEnv) error
}

// runEnv is what a verb runs with: the parsed common flags, the repository's root, where
// to write, and the resolved stack (nil until the verb asks for it).
type runEnv struct {
	ctx context.Context
	common
	out, errw io.Writer
	target    func() (*Target, error)
	// tick is how often waits poll (a move task's progress); tests shorten it.
	tick time.Duration
	now  func() time.Time
}

// parse reads a verb's flags; flag.ErrHelp after printing its help for -h or --help.
func (v verb) parse(args []string, errw io.Writer) (*flag.FlagSet, *common, func(*runEnv) error, error) {
	fs := flag.NewFlagSet("ops "+v.name, flag.ContinueOnError)
	fs.SetOutput(errw)
	c := &common{}
	fs.StringVar(&c.stack, "stack", stackName, "the stack's name")
	fs.StringVar(&c.stage, "stage", "", "the stack's stage, as deployed (context stage), or local for make dev's stack (required)")
	fs.BoolVar(&c.json, "json", false, "write the result as JSON (progress goes to standard error)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "change nothing; say what would change")
	run := v.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(errw, "usage: go run ./infra/ops %s [flags]   (or make ops ARGS=\"%s …\")\n%s\n\nflags:\n", v.name, v.name, v.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, nil, nil, fmt.Errorf("%w: unexpected %q", ErrUsage, strings.Join(fs.Args(), " "))
	}
	return fs, c, run, nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// progressWriter is where progress goes: standard error under --json, else the output.
func (e *runEnv) progressWriter() io.Writer {
	if e.json {
		return e.errw
	}
	return e.out
}

// say writes a line for people; nothing under --json.
func (e *runEnv) say(format string, args ...any) {
	if !e.json {
		fmt.Fprintf(e.out, format+"\n", args...)
	}
}

// Progress shows how far a long run is: a bar redrawn in place on a terminal, plain lines
// otherwise (at most one per step of a tenth, and the last).
type Progress struct {
	w     io.Writer
	tty   bool
	label string
	total int
	shown int
}

// newProgress starts a progress display of a run of total items (0 when unknown).
func newProgress(w io.Writer, label string, total int) *Progress {
	return &Progress{w: w, tty: isTerminal(w), label: label, total: total, shown: -1}
}

// Update shows done items, and a note.
func (p *Progress) Update(done int, note string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s %s %s", p.label, p.bar(done), note)
		return
	}
	step := done
	if p.total > 0 {
		step = min(done, p.total) * 10 / p.total
	}
	if step == p.shown {
		return
	}
	p.shown = step
	fmt.Fprintf(p.w, "%s %s %s\n", p.label, p.count(done), note)
}

// Done ends the display with its last figures.
func (p *Progress) Done(done int, note string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s %s %s\n", p.label, p.bar(done), note)
		return
	}
	fmt.Fprintf(p.w, "%s %s %s\n", p.label, p.count(done), note)
}

func (p *Progress) count(done int) string {
	if p.total > 0 {
		return fmt.Sprintf("%d/%d", done, p.total)
	}
	return fmt.Sprint(done)
}

func (p *Progress) bar(done int) string {
	if p.total <= 0 {
		return p.count(done)
	}
	const width = 30
	filled := min(done, p.total) * width / p.total
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] " + p.count(done)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
