package awsenv_test

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// script answers the first n attempts of each operation with a, then calls the service.
type script struct {
	mu    sync.Mutex
	a     awsenv.Answer
	n     int
	tried map[string]int
}

func (s *script) decide(_, op string) awsenv.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried[op]++
	if s.tried[op] <= s.n {
		return s.a
	}
	return 0
}

// statsOf reads the lines CallStats wrote, by operation.
func statsOf(t *testing.T, buf *bytes.Buffer) map[string]awsenv.CallStat {
	t.Helper()
	out := map[string]awsenv.CallStat{}
	bad, err := awsenv.ReadCallStats(bytes.NewReader(buf.Bytes()), func(s awsenv.CallStat) { out[s.Op] = s })
	if err != nil || bad != 0 {
		t.Fatalf("read stats: %d bad lines, %v", bad, err)
	}
	return out
}

// TestRespondAnswersAsAWSAndTheSDKRetries: injected throttles and 500s reach the SDK as AWS's
// own answers — typed errors, retried by the standard retryer — against the real emulators.
func TestRespondAnswersAsAWSAndTheSDKRetries(t *testing.T) {
	type call func(cfg aws.Config) error
	tables := testenv.Tables(t, testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout)))
	queueURL := testenv.Queue(t, testenv.SQS(t, testenv.Config(testenv.CallTimeout)), "respond", time.Second)
	putItem := func(cfg aws.Config) error {
		_, err := testenv.DynamoDB(t, cfg).PutItem(t.Context(), &dynamodb.PutItemInput{
			TableName: aws.String(tables[topology.TableEvents]),
			Item:      map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "evt_respond"}},
		})
		return err
	}
	sendMessage := func(cfg aws.Config) error {
		_, err := testenv.SQS(t, cfg).SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("{}")})
		return err
	}
	for _, c := range []struct {
		name         string
		call         call
		op           string
		answer       awsenv.Answer
		failFirst    int
		wantAttempts int
		check        func(t *testing.T, err error)
	}{
		{"a throttled PutItem succeeds on its second attempt", putItem, "PutItem", awsenv.Throttle, 1, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"a PutItem throttled every time fails typed", putItem, "PutItem", awsenv.Throttle, 99, awsenv.MaxAttempts, func(t *testing.T, err error) {
			var pte *ddbtypes.ProvisionedThroughputExceededException
			if !errors.As(err, &pte) {
				t.Fatalf("got %v, want ProvisionedThroughputExceededException", err)
			}
		}},
		{"ThrottlingException is retried too", putItem, "PutItem", awsenv.ThrottlingException, 99, awsenv.MaxAttempts, func(t *testing.T, err error) {
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
				t.Fatalf("got %v, want ThrottlingException", err)
			}
		}},
		{"a SendMessage answered 500 succeeds on its second attempt", sendMessage, "SendMessage", awsenv.ServerError, 1, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"a SendMessage answered 500 every time fails with the 500", sendMessage, "SendMessage", awsenv.ServerError, 99, awsenv.MaxAttempts, func(t *testing.T, err error) {
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusInternalServerError {
				t.Fatalf("got %v, want an HTTP 500 response error", err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			s := &script{a: c.answer, n: c.failFirst, tried: map[string]int{}}
			cfg := testenv.Config(testenv.CallTimeout, awsenv.CallStats(&buf, "test", 1), awsenv.Respond(s.decide))
			c.check(t, c.call(cfg))
			st := statsOf(t, &buf)[c.op]
			injected := st.Throttles + st.ServerErrors
			if st.Attempts != c.wantAttempts || injected != min(c.failFirst, c.wantAttempts) || st.Service == "" || st.Function != "test" {
				t.Fatalf("stats %+v: want %d attempts, %d injected", st, c.wantAttempts, min(c.failFirst, c.wantAttempts))
			}
			if (st.Err == "") != (c.failFirst < c.wantAttempts) {
				t.Fatalf("stats error %q for a call that %s", st.Err, map[bool]string{true: "succeeded", false: "failed"}[c.failFirst < c.wantAttempts])
			}
		})
	}
}

// TestTestenvThrottledUsesTheSameAnswers: tests inject the answers the local stack's
// WEDSYNC_FAULTS gives through testenv's Recorder, and the SDK sees them typed.
func TestTestenvThrottledUsesTheSameAnswers(t *testing.T) {
	rec := testenv.NewRecorder()
	cfg := testenv.Config(testenv.CallTimeout, rec.Middleware)
	tables := testenv.Tables(t, testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout)))
	rec.Inject("GetItem", testenv.Throttled)
	_, err := testenv.DynamoDB(t, cfg).GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: aws.String(tables[topology.TableEvents]),
		Key:       map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "evt_x"}},
	})
	var pte *ddbtypes.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Fatalf("a throttled GetItem: %v", err)
	}
	queueURL := testenv.Queue(t, testenv.SQS(t, testenv.Config(testenv.CallTimeout)), "throttled", time.Second)
	rec.Inject("SendMessage", testenv.Throttled)
	_, err = testenv.SQS(t, cfg).SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("{}")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusInternalServerError {
		t.Fatalf("a SendMessage answered 500: %v", err)
	}
	if calls := rec.Calls(); calls["GetItem"] != 1 || calls["SendMessage"] != 1 {
		t.Fatalf("calls %v: one operation each, however many attempts", calls)
	}
}
