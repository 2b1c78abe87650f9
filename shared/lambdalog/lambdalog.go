package lambdalog

import (
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns the function's logger, built once at start: lines carry "function" and, when
// logged with an invocation's context, its "requestId". JSON when the runtime says
// AWS_LAMBDA_LOG_FORMAT=JSON (the CDK stack, the local stack and make coldstart do).
func New(function string) *slog.Logger {
	return slog.New(lambdacontext.NewLogHandler()).With("function", function)
}
