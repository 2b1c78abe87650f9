package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wedsync/webhooks/shared/topology"
)

// What can be wrong with a variable; a VarError wraps one of them.
var (
	// ErrMissing means a variable the function needs is unset or empty.
	ErrMissing = errors.New("missing")
	// ErrMalformed means a variable does not parse as what it holds.
	ErrMalformed = errors.New("malformed")
	// ErrInvalid means a variable parses but its value is not allowed (out of range, or not in
	// this stage).
	ErrInvalid = errors.New("invalid")
)

// VarError is what is wrong with one variable. Its message never carries the value, which
// may be a secret.
type VarError struct {
	Name string
	// Err is ErrMissing, ErrMalformed or ErrInvalid, possibly wrapped.
	Err error
	// Reason says what the value should be.
	Reason string
}

func (e *VarError) Error() string {
	if e.Reason == "" {
		return e.Name + ": " + e.Err.Error()
	}
	return e.Name + ": " + e.Err.Error() + ": " + e.Reason
}

// Unwrap returns ErrMissing, ErrMalformed or ErrInvalid.
func (e *VarError) Unwrap() error { return e.Err }

// Names lists the variables err names, in order, each once.
func Names(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		if v, ok := err.(*VarError); ok {
			if !slices.Contains(names, v.Name) {
				names = append(names, v.Name)
			}
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	if err != nil {
		walk(err)
	}
	return names
}

// Vars reads variables through a lookup and remembers what is wrong with them.
type Vars struct {
	get      func(string) string
	problems []error
}

// Read returns a reader over getenv (os.Getenv in a function's main).
func Read(getenv func(string) string) *Vars { return &Vars{get: getenv} }

// Problem records what is wrong with name.
func (v *Vars) Problem(name string, err error, reason string) {
	v.problems = append(v.problems, &VarError{Name: name, Err: err, Reason: reason})
}

// Err joins every problem recorded so far; nil when there is none.
func (v *Vars) Err() error { return errors.Join(v.problems...) }

// String is name's value, "" when unset.
func (v *Vars) String(name string) string { return v.get(name) }

// Required is name's value; unset is a problem.
func (v *Vars) Required(name string) string {
	s := v.get(name)
	if s == "" {
		v.Problem(name, ErrMissing, "")
	}
	return s
}

// Duration is name as a Go duration (e.g. "90s"), at least 0, def when unset.
func (v *Vars) Duration(name string, def time.Duration) time.Duration {
	s := v.get(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		v.Problem(name, ErrMalformed, "not a duration such as 30s")
		return def
	}
	return d
}

// PositiveDuration is Duration, and 0 is a problem too.
func (v *Vars) PositiveDuration(name string, def time.Duration) time.Duration {
	d := v.Duration(name, def)
	if d == 0 {
		v.Problem(name, ErrInvalid, "must be more than 0")
		return def
	}
	return d
}

// PositiveInt is name as an integer of at least 1, def when unset.
func (v *Vars) PositiveInt(name string, def int) int {
	s := v.get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		v.Problem(name, ErrMalformed, "not a positive integer")
		return def
	}
	return n
}

// PositiveFloat is name as a number above 0, def when unset.
func (v *Vars) PositiveFloat(name string, def float64) float64 {
	s := v.get(name)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) {
		v.Problem(name, ErrMalformed, "not a positive number")
		return def
	}
	return f
}

// Bool is name as "true" or "false", false when unset.
func (v *Vars) Bool(name string) bool {
	switch s := v.get(name); s {
	case "", "false":
		return false
	case "true":
		return true
	}
	v.Problem(name, ErrMalformed, `not "true" or "false"`)
	return false
}

// Resources reads the variables the topology gives f: one per table it uses and one per
// queue it sends to, each required.
func (v *Vars) Resources(f topology.Function) Resources {
	r := Resources{}
	for _, name := range f.ResourceVars() {
		r[name] = v.Required(name)
	}
	return r
}

// Resources are a function's tables' names and queues' URLs by variable name.
type Resources map[string]string

// Table is the physical name of a logical table.
func (r Resources) Table(table string) string { return r[topology.TableEnv(table)] }

// Queue is the URL of a logical queue.
func (r Resources) Queue(queue string) string { return r[topology.QueueEnv(queue)] }

// Function is the topology's function called name; a name the topology lacks is a bug of
// the caller and panics at start.
func Function(name string) topology.Function {
	f, ok := topology.Default().Function(name)
	if !ok {
		panic(fmt.Sprintf("config: no function %q in the topology", name))
	}
	return f
}
