package local

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

// SignedHeaders are the headers a provider sends with body, signed with secret at at.
// msgID is the Standard Webhooks message id (custom senders only).
func SignedHeaders(kind, secret, msgID string, body []byte, at time.Time) (map[string]string, error) {
	switch kind {
	case "stripe":
		ts := strconv.FormatInt(at.Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		return map[string]string{"content-type": "application/json; charset=utf-8",
			"stripe-signature": "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))}, nil
	case "custom":
		key, err := stdwebhooks.DecodeSecret(secret)
		if err != nil {
			return nil, err
		}
		return map[string]string{"content-type": "application/json", stdwebhooks.HeaderID: msgID,
			stdwebhooks.HeaderTimestamp: strconv.FormatInt(at.Unix(), 10),
			stdwebhooks.HeaderSignature: stdwebhooks.Sign(key, msgID, at, body)}, nil
	}
	return nil, fmt.Errorf("no signer for provider %q", kind)
}

// Fixture reads a provider's sample event from its package's testdata.
func Fixture(root, kind, event string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(root, "shared", "providers", kind, "testdata", event+".json"))
	if err != nil {
		return nil, fmt.Errorf("no sample %q for %s: %w", event, kind, err)
	}
	return b, nil
}

// Sample is one sample invoke event of a function, with the answer it must get.
type Sample struct {
	Function string
	Name     string
	Payload  any
	// WantStatus is the HTTP status an ingest sample must get.
	WantStatus int
	// WantEventID is the event a worker sample is about, processed without failures.
	WantEventID string
	// WantNoFailures: a worker sample whose batch must succeed whole.
	WantNoFailures bool
	// WantNoError: a scheduled sample whose invocation must not fail.
	WantNoError bool
}

// Path is where the sample lives under events/.
func (s Sample) Path() string { return filepath.Join("events", s.Function, s.Name+".json") }

// Samples builds every function's sample events, signed with the stack's secrets at at.
// Ingest samples come first, so the worker samples find their events stored.
func Samples(root string, st State, at time.Time) ([]Sample, error) {
	var out []Sample
	stripeConn, ok := st.Connections["stripe"]
	if !ok {
		return nil, fmt.Errorf("no stripe connection in the stack state")
	}
	customConn, ok := st.Connections["custom"]
	if !ok {
		return nil, fmt.Errorf("no custom connection in the stack state")
	}
	stripeBody, err := Fixture(root, "stripe", "payment_intent.succeeded")
	if err != nil {
		return nil, err
	}
	h, err := SignedHeaders("stripe", stripeConn.Secret, "", stripeBody, at)
	if err != nil {
		return nil, err
	}
	out = append(out,
		Sample{Function: "ingest-stripe", Name: "payment_intent.succeeded", WantStatus: 200,
			Payload: apiEvent("POST", "stripe", stripeConn.ID, h, stripeBody, at)},
		Sample{Function: "ingest-stripe", Name: "wrong-method", WantStatus: 405,
			Payload: apiEvent("GET", "stripe", stripeConn.ID, map[string]string{}, nil, at)},
	)
	customBody, err := Fixture(root, "custom", "booking.created")
	if err != nil {
		return nil, err
	}
	h, err = SignedHeaders("custom", customConn.Secret, "msg_sample_booking_created", customBody, at)
	if err != nil {
		return nil, err
	}
	out = append(out,
		Sample{Function: "ingest-custom", Name: "booking.created", WantStatus: 200,
			Payload: apiEvent("POST", "custom", customConn.ID, h, customBody, at)},
		Sample{Function: "ingest-custom", Name: "unsigned", WantStatus: 401,
			Payload: apiEvent("POST", "custom", customConn.ID, map[string]string{"content-type": "application/json"}, customBody, at)},
	)
	apiGet := func(name, key string, want int) Sample {
		h := map[string]string{"accept": "application/json"}
		if key != "" {
			h["authorization"] = "Bearer " + key
		}
		ev := apiEvent("GET", "", "", h, nil, at)
		ev.RouteKey, ev.RequestContext.RouteKey = "ANY /v1/{proxy+}", "ANY /v1/{proxy+}"
		ev.RawPath, ev.RequestContext.HTTP.Path = "/v1/event-types", "/v1/event-types"
		ev.PathParameters = map[string]string{"proxy": "event-types"}
		ev.RequestContext.RequestID = "sample-api-" + name
		return Sample{Function: "api", Name: name, WantStatus: want, Payload: ev}
	}
	out = append(out, apiGet("event-types", st.APIKey, 200), apiGet("unauthorized", "", 401))
	var stripeEvent struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(stripeBody, &stripeEvent); err != nil {
		return nil, err
	}
	eventID := envelope.EventID(stripeConn.ID, stripeEvent.ID)
	out = append(out, Sample{Function: "process", Name: "payment.received", WantEventID: eventID,
		Payload: events.SQSEvent{Records: []events.SQSMessage{{
			MessageId: "0b9b6c1e-0000-4000-8000-000000000001", ReceiptHandle: "sample-receipt-handle",
			Body: `{"event_id":"` + eventID + `"}`, EventSource: "aws:sqs", AWSRegion: "us-east-1",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": strconv.FormatInt(at.UnixMilli(), 10)},
		}}}})
	out = append(out,
		Sample{Function: "deliver", Name: "unknown-delivery", WantNoFailures: true,
			Payload: events.SQSEvent{Records: []events.SQSMessage{{
				MessageId: "0b9b6c1e-0000-4000-8000-000000000002", ReceiptHandle: "sample-receipt-handle",
				Body: `{"delivery_id":"dlv_sample_of_no_delivery"}`, EventSource: "aws:sqs", AWSRegion: "us-east-1",
			}}}},
		Sample{Function: "scheduler", Name: "scheduled", WantNoError: true, Payload: ScheduledEvent("every-minute", at)},
	)
	return out, nil
}

func apiEvent(method, kind, connID string, headers map[string]string, body []byte, at time.Time) events.APIGatewayV2HTTPRequest {
	path := "/webhooks/" + kind + "/" + connID
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "ANY /webhooks/" + kind + "/{connectionId}", RawPath: path,
		Headers: headers, PathParameters: map[string]string{"connectionId": connID}, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "ANY /webhooks/" + kind + "/{connectionId}", AccountID: "000000000000", Stage: "$default",
			RequestID: "sample-" + kind + "-" + method, APIID: "local", Time: at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: at.UnixMilli(),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"},
		},
	}
	return ev
}

// WriteSamples writes samples under root/events.
func WriteSamples(root string, samples []Sample) error {
	for _, s := range samples {
		path := filepath.Join(root, s.Path())
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		b, err := json.MarshalIndent(s.Payload, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
