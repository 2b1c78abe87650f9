package tracing

import (
	"context"
	"errors"
	"reflect"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

type subsegmentKey struct{}

// AWS returns SDK middleware that traces each call, retries included, as one subsegment
// named after the service (operation, region, request id, table or queue, retries and the
// HTTP status), and passes the trace on to the service in the X-Amzn-Trace-Id header.
func (e *Emitter) AWS() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("WedSyncTrace",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				s := e.start(ctx, awsmiddleware.GetServiceID(ctx), "aws")
				if s == nil {
					return next.HandleInitialize(ctx, in)
				}
				out, md, err := next.HandleInitialize(context.WithValue(ctx, subsegmentKey{}, s), in)
				s.AWS = map[string]any{"operation": awsmiddleware.GetOperationName(ctx), "region": awsmiddleware.GetRegion(ctx)}
				if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
					s.AWS["request_id"] = id
				}
				for field, key := range map[string]string{"TableName": "table_name", "QueueUrl": "queue_url"} {
					if v := stringField(in.Parameters, field); v != "" {
						s.AWS[key] = v
					}
				}
				if attempts, ok := retry.GetAttemptResults(md); ok && len(attempts.Results) > 1 {
					s.AWS["retries"] = len(attempts.Results) - 1
				}
				status := 0
				if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
					status = raw.StatusCode
				}
				var respErr *smithyhttp.ResponseError
				if errors.As(err, &respErr) {
					status = respErr.HTTPStatusCode()
				}
				if status != 0 {
					s.HTTP = &HTTP{Response: &HTTPResponse{Status: status}}
				}
				s.classify(status, err != nil, throttled(err))
				e.end(s)
				return out, md, err
			}), middleware.After)
		if err != nil {
			return err
		}
		return stack.Build.Add(middleware.BuildMiddlewareFunc("WedSyncTraceHeader",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if s, ok := ctx.Value(subsegmentKey{}).(*Subsegment); ok {
					if req, ok := in.Request.(*smithyhttp.Request); ok {
						req.Header.Set(HeaderName, s.header())
					}
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	}
}

// throttled reports an AWS throttling answer.
func throttled(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "Throttling", "RequestThrottled":
		return true
	}
	return false
}

// stringField is the string (or *string) field name of the operation's input, if any.
func stringField(input any, name string) string {
	v := reflect.ValueOf(input)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName(name)
	switch {
	case !f.IsValid():
		return ""
	case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String:
		return f.Elem().String()
	case f.Kind() == reflect.String:
		return f.String()
	}
	return ""
}
