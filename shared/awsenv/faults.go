package awsenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Answer is a failure AWS answers with, which the SDK's retryer retries as it would from
// AWS itself.
type Answer int

// The answers Respond can give instead of calling the service.
const (
	// Throttle is DynamoDB's 400 ProvisionedThroughputExceededException.
	Throttle Answer = iota + 1
	// ThrottlingException is DynamoDB's 400 ThrottlingException.
	ThrottlingException
	// ServerError is a 500 InternalError (SQS and any other service).
	ServerError
)

// Kind names the answer in counts and stats lines.
func (a Answer) Kind() string {
	switch a {
	case Throttle, ThrottlingException:
		return "throttle"
	case ServerError:
		return "server_error"
	}
	return "none"
}

// response builds the HTTP answer AWS sends for a.
func (a Answer) response() *http.Response {
	var status int
	var errType, message string
	header := http.Header{"X-Amzn-Requestid": {"injected-" + strconv.FormatUint(rand.Uint64(), 36)}}
	switch a {
	case Throttle:
		status, errType = http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
		message = "The level of configured provisioned throughput for the table was exceeded."
	case ThrottlingException:
		status, errType, message = http.StatusBadRequest, "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."
	default:
		status, errType, message = http.StatusInternalServerError, "com.amazon.coral.service#InternalFailure", "We encountered an internal error. Please try again."
		header.Set("X-Amzn-Query-Error", "InternalError;Receiver")
	}
	header.Set("Content-Type", "application/x-amz-json-1.0")
	body := fmt.Sprintf(`{"__type":%q,"message":%q}`, errType, message)
	return &http.Response{StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status), Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Header: header, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// Decide picks, for one attempt of an operation of a service (the SDK's service id, e.g.
// "DynamoDB", and operation name, e.g. "PutItem"), the answer to give instead of calling
// the service; 0 calls it.
type Decide func(service, operation string) Answer

// Respond returns SDK middleware that sits inside the retry loop, just before the request
// is sent, and answers the attempts decide picks with AWS's own failure response, so the
// deserializers and the retryer see exactly what AWS would have sent. Each answer given is
// counted in the call's stats when CallStats runs too.
func Respond(decide Decide) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("WedSyncRespond",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				stats := callStatsFrom(ctx)
				a := decide(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
				if a == 0 {
					return next.HandleDeserialize(ctx, in)
				}
				stats.injected(a)
				return middleware.DeserializeOutput{RawResponse: &smithyhttp.Response{Response: a.response()}}, middleware.Metadata{}, nil
			}), middleware.After)
	}
}

// Faults is the local stack's fault plan (WEDSYNC_FAULTS): the share of SQS sends answered
// with a 500 and of DynamoDB attempts answered with a throttle, drawn from a seeded source.
type Faults struct {
	SQSSend          float64
	DynamoDBThrottle float64
	Seed             uint64
}

// ErrBadFaults means WEDSYNC_FAULTS does not parse.
var ErrBadFaults = errors.New("bad fault plan")

// ParseFaults reads a plan such as "sqs.send=0.05,dynamodb.throttle=0.05,seed=7".
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Faults{}, fmt.Errorf("%w: %q is not key=value", ErrBadFaults, part)
		}
		if k == "seed" {
			seed, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return Faults{}, fmt.Errorf("%w: seed %q is not a number", ErrBadFaults, v)
			}
			f.Seed = seed
			continue
		}
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return Faults{}, fmt.Errorf("%w: %s=%q is not a share between 0 and 1", ErrBadFaults, k, v)
		}
		switch k {
		case "sqs.send":
			f.SQSSend = p
		case "dynamodb.throttle":
			f.DynamoDBThrottle = p
		default:
			return Faults{}, fmt.Errorf("%w: unknown fault %q (sqs.send, dynamodb.throttle, seed)", ErrBadFaults, k)
		}
	}
	return f, nil
}

// String writes the plan as ParseFaults reads it.
func (f Faults) String() string {
	return fmt.Sprintf("sqs.send=%g,dynamodb.throttle=%g,seed=%d", f.SQSSend, f.DynamoDBThrottle, f.Seed)
}

// Decide returns the plan's decision function, drawing from a source seeded with the plan's
// seed and stream (each process passes its own stream, e.g. its pid).
func (f Faults) Decide(stream uint64) Decide {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(f.Seed, stream))
	return func(service, operation string) Answer {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case service == "SQS" && (operation == "SendMessage" || operation == "SendMessageBatch"):
			if r.Float64() < f.SQSSend {
				return ServerError
			}
		case service == "DynamoDB":
			if r.Float64() < f.DynamoDBThrottle {
				if r.IntN(2) == 0 {
					return Throttle
				}
				return ThrottlingException
			}
		}
		return 0
	}
}
