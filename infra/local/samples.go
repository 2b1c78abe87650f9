package local

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/topology"
)

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
	for _, kind := range ImplementedKinds(topology.Default()) {
		conn, ok := st.Connections[kind]
		if !ok {
			return nil, fmt.Errorf("no %s connection in the stack state", kind)
		}
		event := DefaultSamples[kind]
		body, err := SampleBody(root, kind, event)
		if err != nil {
			return nil, err
		}
		target, headers, err := Sign(conn, "msg_sample_"+event, body, at)
		if err != nil {
			return nil, err
		}
		fn := "ingest-" + kind
		out = append(out, Sample{Function: fn, Name: event, WantStatus: 200, Payload: apiEvent("POST", target, conn.ID, headers, body, at)})
		switch kind {
		case "stripe":
			out = append(out, Sample{Function: fn, Name: "wrong-method", WantStatus: 405,
				Payload: apiEvent("GET", conn.IngestURL, conn.ID, map[string]string{}, nil, at)})
		case "custom":
			out = append(out, Sample{Function: fn, Name: "unsigned", WantStatus: 401,
				Payload: apiEvent("POST", conn.IngestURL, conn.ID, map[string]string{"content-type": "application/json"}, body, at)})
		case "mailchimp":
			out = append(out, Sample{Function: fn, Name: "url-check", WantStatus: 200,
				Payload: apiEvent("GET", target, conn.ID, map[string]string{}, nil, at)})
		case "mandrill":
			out = append(out, Sample{Function: fn, Name: "url-check", WantStatus: 200,
				Payload: apiEvent("HEAD", conn.IngestURL, conn.ID, map[string]string{}, nil, at)})
		}
	}
	apiGet := func(name, key string, want int) Sample {
		h := map[string]string{"accept": "application/json"}
		if key != "" {
			h["authorization"] = "Bearer " + key
		}
		ev := apiEvent("GET", st.URL+"/v1/event-types", "", h, nil, at)
		ev.RouteKey, ev.RequestContext.RouteKey = "ANY /v1/{proxy+}", "ANY /v1/{proxy+}"
		ev.PathParameters = map[string]string{"proxy": "event-types"}
		ev.RequestContext.RequestID = "sample-api-" + name
		return Sample{Function: "api", Name: name, WantStatus: want, Payload: ev}
	}
	out = append(out, apiGet("event-types", st.APIKey, 200), apiGet("unauthorized", "", 401))
	stripeBody, err := SampleBody(root, "stripe", DefaultSamples["stripe"])
	if err != nil {
		return nil, err
	}
	var stripeEvent struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(stripeBody, &stripeEvent); err != nil {
		return nil, err
	}
	eventID := envelope.EventID(st.Connections["stripe"].ID, stripeEvent.ID)
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
		Sample{Function: "act", Name: "unknown-command", WantNoFailures: true,
			Payload: events.SQSEvent{Records: []events.SQSMessage{{
				MessageId: "0b9b6c1e-0000-4000-8000-000000000003", ReceiptHandle: "sample-receipt-handle",
				Body: `{"event_id":"evt_sample_of_no_command"}`, EventSource: "aws:sqs", AWSRegion: "us-east-1",
			}}}},
	)
	return out, nil
}

// apiEvent is the payload-2.0 event API Gateway sends for a request to target.
func apiEvent(method, target, connID string, headers map[string]string, body []byte, at time.Time) events.APIGatewayV2HTTPRequest {
	u, _ := url.Parse(target)
	route := "ANY /webhooks/" + strings.Split(strings.TrimPrefix(u.Path, "/webhooks/"), "/")[0] + "/{connectionId}"
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route, RawPath: u.Path, RawQueryString: u.RawQuery,
		Headers: headers, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route, AccountID: "000000000000", Stage: "$default",
			RequestID: "sample-" + strings.ReplaceAll(strings.TrimPrefix(u.Path, "/"), "/", "-") + "-" + method, APIID: "local",
			Time: at.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: u.Path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"},
		},
	}
	if connID != "" {
		ev.PathParameters = map[string]string{"connectionId": connID}
	}
	if q := u.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
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
