package local_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/topology"
)

// echoInvoker records the event it gets and answers with a fixed payload.
type echoInvoker struct {
	got    events.APIGatewayV2HTTPRequest
	answer string
}

func (e *echoInvoker) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	if err := json.Unmarshal(payload, &e.got); err != nil {
		return nil, err
	}
	return []byte(e.answer), nil
}

func routerFor(inv local.Invoker) *local.Router {
	spec := topology.Spec{Functions: []topology.Function{{Name: "ingest-x", Routes: []topology.Route{{Method: "ANY", Path: "/webhooks/x/{connectionId}"}}}}}
	r := local.NewRouter(spec, map[string]local.Invoker{"ingest-x": inv})
	r.SetReady()
	return r
}

func TestRouterBuildsPayloadV2Events(t *testing.T) {
	inv := &echoInvoker{answer: `{"statusCode":201,"headers":{"x-answer":"yes"},"body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2}) + `","isBase64Encoded":true}`}
	srv := httptest.NewServer(routerFor(inv))
	defer srv.Close()

	binary := []byte{0xff, 0x00, 0xfe}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/webhooks/x/conn-9?key=abc&key=def", bytes.NewReader(binary))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Mixed-Case", "v")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("x-answer") != "yes" || !bytes.Equal(body, []byte{0, 1, 2}) {
		t.Fatalf("answer %d %v %v", resp.StatusCode, resp.Header, body)
	}
	ev := inv.got
	decoded, _ := base64.StdEncoding.DecodeString(ev.Body)
	if ev.Version != "2.0" || ev.RouteKey != "ANY /webhooks/x/{connectionId}" || ev.RequestContext.HTTP.Method != "PUT" ||
		ev.PathParameters["connectionId"] != "conn-9" || ev.QueryStringParameters["key"] != "abc,def" ||
		ev.RawQueryString != "key=abc&key=def" || ev.Headers["x-mixed-case"] != "v" || !ev.IsBase64Encoded ||
		!bytes.Equal(decoded, binary) || ev.RequestContext.RequestID == "" || ev.RequestContext.TimeEpoch == 0 {
		t.Fatalf("event %+v", ev)
	}
}

func TestRouterTextBodiesAndErrors(t *testing.T) {
	inv := &echoInvoker{answer: `{"errorMessage":"boom","errorType":"Panic"}`}
	srv := httptest.NewServer(routerFor(inv))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/webhooks/x/c", "application/json", bytes.NewReader([]byte(`{"a":1}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("a function error answered %d, want 500", resp.StatusCode)
	}
	if inv.got.IsBase64Encoded || inv.got.Body != `{"a":1}` {
		t.Fatalf("a JSON body should pass as text: %+v", inv.got)
	}
	big := bytes.Repeat([]byte("a"), local.MaxRequestBytes+1)
	resp, err = http.Post(srv.URL+"/webhooks/x/c", "text/plain", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("a body over API Gateway's limit answered %d, want 413", resp.StatusCode)
	}
}
