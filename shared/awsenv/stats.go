package awsenv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// CallStat is one AWS call (an operation, its retries included) as CallStats writes it:
// one JSON line per call.
type CallStat struct {
	// At is when the call began, in Unix microseconds.
	At       int64  `json:"at"`
	Function string `json:"fn"`
	Pid      int    `json:"pid"`
	Service  string `json:"svc"`
	Op       string `json:"op"`
	// Micros is how long the call took, retries and backoff included.
	Micros   int64 `json:"us"`
	Attempts int   `json:"attempts"`
	// Throttles and ServerErrors count the answers Respond injected into the call.
	Throttles    int `json:"throttle,omitempty"`
	ServerErrors int `json:"server_error,omitempty"`
	// Err is the call's error code ("" when it succeeded).
	Err string `json:"err,omitempty"`
	// Table is the DynamoDB table the call names, and Capacity what DynamoDB reports it
	// consumed (every DynamoDB call asks for it while stats are kept).
	Table    string    `json:"table,omitempty"`
	Capacity *Capacity `json:"cap,omitempty"`
	// Context is a KMS call's encryption context (the secret's tenant and resource ids).
	Context string `json:"ctx,omitempty"`
}

type callStats struct {
	mu           sync.Mutex
	attempts     int
	throttles    int
	serverErrors int
}

type callStatsKey struct{}

func callStatsFrom(ctx context.Context) *callStats {
	s, _ := ctx.Value(callStatsKey{}).(*callStats)
	return s
}

func (s *callStats) attempt() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
}

func (s *callStats) injected(a Answer) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch a.Kind() {
	case "throttle":
		s.throttles++
	case "server_error":
		s.serverErrors++
	}
}

// CallStats returns SDK middleware that writes one CallStat line to w per call: how long
// it took around the retry loop, how many attempts it made, what Respond injected and, for
// DynamoDB, the capacity it consumed (the call asks for ReturnConsumedCapacity INDEXES).
// Lines are written whole, one Write each, so several processes may append to one file.
func CallStats(w io.Writer, function string, pid int) func(*middleware.Stack) error {
	var mu sync.Mutex
	return func(stack *middleware.Stack) error {
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("WedSyncCallStats",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				stats := &callStats{}
				service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
				dynamo := service == "DynamoDB"
				if dynamo {
					in.Parameters = askCapacity(in.Parameters)
				}
				start := time.Now()
				out, md, err := next.HandleInitialize(context.WithValue(ctx, callStatsKey{}, stats), in)
				stats.mu.Lock()
				line := CallStat{At: start.UnixMicro(), Function: function, Pid: pid, Service: service, Op: op,
					Micros: time.Since(start).Microseconds(), Attempts: stats.attempts,
					Throttles: stats.throttles, ServerErrors: stats.serverErrors, Err: errorCode(err)}
				stats.mu.Unlock()
				if service == "KMS" {
					line.Context = contextOf(in.Parameters)
				}
				if dynamo {
					line.Table = tableOf(in.Parameters)
					if c := capacityOf(op, out.Result); c.Write+c.Read > 0 {
						line.Capacity = &c
					}
				}
				b, _ := json.Marshal(line)
				mu.Lock()
				_, _ = w.Write(append(b, '\n'))
				mu.Unlock()
				return out, md, err
			}), middleware.After)
		if err != nil {
			return err
		}
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("WedSyncCountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				callStatsFrom(ctx).attempt()
				return next.HandleFinalize(ctx, in)
			}), "Retry", middleware.After)
	}
}

func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		return api.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

// ReadCallStats calls fn with every CallStat line of r and returns how many lines did not
// parse (a process killed while writing can leave one).
func ReadCallStats(r io.Reader, fn func(CallStat)) (bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var s CallStat
		if json.Unmarshal(sc.Bytes(), &s) != nil {
			bad++
			continue
		}
		fn(s)
	}
	if err := sc.Err(); err != nil {
		return bad, fmt.Errorf("read call stats: %w", err)
	}
	return bad, nil
}
