package testenv

import (
	"context"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/awsenv"
)

// Fault is a way an AWS call can go wrong.
type Fault int

// Faults the Recorder can inject, on every attempt of the operation they are set for.
const (
	// Fails: the attempt errors before reaching the service.
	Fails Fault = iota + 1
	// AppliedThenErrors: the service applies the call, then the client sees an error.
	AppliedThenErrors
	// TimesOut: the attempt hangs until the call's deadline.
	TimesOut
	// Throttled: the service answers the attempt as AWS does when it throttles or fails —
	// DynamoDB a 400 ProvisionedThroughputExceededException, others a 500 — through the
	// same middleware the local stack's WEDSYNC_FAULTS uses (awsenv.Respond).
	Throttled
)

// String names the fault for subtest names.
func (f Fault) String() string {
	switch f {
	case Fails:
		return "fails"
	case AppliedThenErrors:
		return "applied-then-errors"
	case TimesOut:
		return "times-out"
	case Throttled:
		return "throttled"
	}
	return "none"
}

// ErrInjected is the error an injected fault returns; the SDK retries it.
var ErrInjected = injected{}

type injected struct{}

// Error says the fault was injected.
func (injected) Error() string { return "injected fault" }

// RetryableError makes the SDK retry it, as it would a throttle or a 5xx.
func (injected) RetryableError() bool { return true }

// Recorder is SDK middleware that counts operations (not attempts) by name and injects
// faults into chosen operations.
type Recorder struct {
	mu     sync.Mutex
	calls  map[string]int
	faults map[string]Fault
	// left counts the attempts a fault set by InjectAttempts still hits.
	left map[string]int
}

// NewRecorder returns a Recorder with no faults.
func NewRecorder() *Recorder {
	return &Recorder{calls: map[string]int{}, faults: map[string]Fault{}, left: map[string]int{}}
}

// Inject makes every attempt of operation (e.g. "PutItem") suffer f; 0 clears it.
func (r *Recorder) Inject(operation string, f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.left, operation)
	if f == 0 {
		delete(r.faults, operation)
		return
	}
	r.faults[operation] = f
}

// InjectAttempts makes only the next n attempts of operation suffer f (the SDK's retries of
// a call are attempts too), then clears it.
func (r *Recorder) InjectAttempts(operation string, f Fault, n int) {
	r.Inject(operation, f)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left[operation] = n
}

// Calls returns the operations counted so far.
func (r *Recorder) Calls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.calls))
	for k, v := range r.calls {
		out[k] = v
	}
	return out
}

// Total returns how many operations were counted.
func (r *Recorder) Total() int {
	total := 0
	for _, v := range r.Calls() {
		total += v
	}
	return total
}

// Reset forgets the counts.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = map[string]int{}
}

func (r *Recorder) fault(op string) Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.faults[op]
}

// hit returns the fault of this attempt of op, counting it against InjectAttempts.
func (r *Recorder) hit(op string) Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.faults[op]
	if n, limited := r.left[op]; limited && f != 0 {
		if n <= 1 {
			delete(r.left, op)
			delete(r.faults, op)
		} else {
			r.left[op] = n - 1
		}
	}
	return f
}

// Middleware installs the counter before the SDK's retry loop and the injector inside it.
func (r *Recorder) Middleware(stack *middleware.Stack) error {
	count := middleware.InitializeMiddlewareFunc("WedSyncCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			r.mu.Lock()
			r.calls[op]++
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		})
	if err := stack.Initialize.Add(count, middleware.After); err != nil {
		return err
	}
	inject := middleware.FinalizeMiddlewareFunc("WedSyncInjectFaults",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			f := r.fault(op)
			if f != Throttled {
				f = r.hit(op)
			}
			switch f {
			case Fails:
				return middleware.FinalizeOutput{}, middleware.Metadata{}, ErrInjected
			case AppliedThenErrors:
				_, _, _ = next.HandleFinalize(ctx, in)
				return middleware.FinalizeOutput{}, middleware.Metadata{}, ErrInjected
			case TimesOut:
				<-ctx.Done()
				return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
			}
			return next.HandleFinalize(ctx, in)
		})
	if err := stack.Finalize.Insert(inject, "Retry", middleware.After); err != nil {
		return err
	}
	return awsenv.Respond(func(service, operation string) awsenv.Answer {
		if r.fault(operation) != Throttled {
			return 0
		}
		r.hit(operation)
		if service == "DynamoDB" {
			return awsenv.Throttle
		}
		return awsenv.ServerError
	})(stack)
}
