package tracing_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/wedsync/webhooks/shared/tracing"
)

// daemon is a UDP listener standing in for the X-Ray daemon.
type daemon struct {
	t    *testing.T
	conn *net.UDPConn
}

func newDaemon(t *testing.T) *daemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &daemon{t: t, conn: conn}
}

// next reads the next datagram and returns its subsegment; the emitter writes it before the
// traced call returns, so it is already in the socket's buffer.
func (d *daemon) next() tracing.Subsegment {
	d.t.Helper()
	_ = d.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, err := d.conn.Read(buf)
	if err != nil {
		d.t.Fatalf("no subsegment: %v", err)
	}
	header, body, ok := strings.Cut(string(buf[:n]), "\n")
	if !ok || header != `{"format": "json", "version": 1}` {
		d.t.Fatalf("not the daemon's protocol: %q", buf[:n])
	}
	var s tracing.Subsegment
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		d.t.Fatal(err)
	}
	return s
}

// none checks that nothing was sent.
func (d *daemon) none() {
	d.t.Helper()
	_ = d.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	buf := make([]byte, 64<<10)
	if n, err := d.conn.Read(buf); err == nil {
		d.t.Fatalf("unexpected subsegment: %s", buf[:n])
	}
}

var sampled = tracing.Header{Root: "1-5759e988-bd862e3fe1be46a994272793", Parent: "53995c3f42cd8ad8", Sampled: true}

// invocation is a context as aws-lambda-go hands one to a handler.
func invocation(h tracing.Header) context.Context {
	//lint:ignore SA1029 the key aws-lambda-go itself uses
	return context.WithValue(context.Background(), "x-amzn-trace-id", h.String())
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	h, ok := tracing.ParseHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if !ok || h != sampled || h.String() != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" {
		t.Fatalf("got %+v, %v", h, ok)
	}
	if _, ok := tracing.ParseHeader("Sampled=1"); ok {
		t.Fatal("a header without root and parent parsed")
	}
	if tracing.New("") != nil {
		t.Fatal("no daemon address makes an emitter")
	}
}

// TestAWSCallIsASubsegment: a DynamoDB call in a sampled invocation is one "aws" subsegment
// under the invocation's segment, with operation, table, region, request id and status, and
// DynamoDB receives the trace header naming that subsegment as its parent. An unsampled
// invocation sends nothing.
func TestAWSCallIsASubsegment(t *testing.T) {
	t.Parallel()
	d := newDaemon(t)
	var mu sync.Mutex
	var seen []string
	ddb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get(tracing.HeaderName))
		mu.Unlock()
		w.Header().Set("x-amzn-requestid", "REQ123")
		w.Header().Set("content-type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(ddb.Close)
	e := tracing.New(d.conn.LocalAddr().String())
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(ddb.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), APIOptions: []func(*middleware.Stack) error{e.AWS()}})
	get := &dynamodb.GetItemInput{TableName: aws.String("events"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "x"}}}
	if _, err := client.GetItem(invocation(sampled), get); err != nil {
		t.Fatal(err)
	}
	s := d.next()
	if s.Name != "DynamoDB" || s.Namespace != "aws" || s.Type != "subsegment" || s.TraceID != sampled.Root || s.ParentID != sampled.Parent ||
		len(s.ID) != 16 || s.AWS["operation"] != "GetItem" || s.AWS["table_name"] != "events" || s.AWS["request_id"] != "REQ123" ||
		s.AWS["region"] != "us-east-1" || s.HTTP == nil || s.HTTP.Response.Status != 200 || s.Error || s.Fault || s.EndTime < s.StartTime {
		t.Fatalf("subsegment %+v", s)
	}
	mu.Lock()
	got := seen[0]
	mu.Unlock()
	if want := "Root=" + sampled.Root + ";Parent=" + s.ID + ";Sampled=1"; got != want {
		t.Fatalf("DynamoDB got trace header %q, want %q", got, want)
	}
	unsampled := sampled
	unsampled.Sampled = false
	if _, err := client.GetItem(invocation(unsampled), get); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetItem(context.Background(), get); err != nil {
		t.Fatal(err)
	}
	d.none()
}

// TestOutgoingPostIsASubsegment: a POST through the traced transport is one "remote"
// subsegment named after the host, with method, URL (no query) and status; a 5xx is a
// fault, a 429 a throttle; the endpoint never sees our trace header.
func TestOutgoingPostIsASubsegment(t *testing.T) {
	t.Parallel()
	d := newDaemon(t)
	statuses := map[string]int{"/ok": 200, "/down": 503, "/slow-down": 429}
	var leaked atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(tracing.HeaderName) != "" {
			leaked.Store(true)
		}
		w.WriteHeader(statuses[r.URL.Path])
	}))
	t.Cleanup(hook.Close)
	e := tracing.New("udp:" + d.conn.LocalAddr().String() + " tcp:127.0.0.1:2000")
	client := &http.Client{Transport: e.Transport(nil)}
	for path, status := range statuses {
		req, _ := http.NewRequestWithContext(tracing.WithParent(context.Background(), sampled), http.MethodPost, hook.URL+path+"?token=secret", strings.NewReader("{}"))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		s := d.next()
		if s.Name != "127.0.0.1" || s.Namespace != "remote" || s.HTTP.Request.Method != "POST" || s.HTTP.Request.URL != hook.URL+path ||
			s.HTTP.Response.Status != status || s.Fault != (status >= 500) || s.Throttle != (status == 429) || s.ParentID != sampled.Parent {
			t.Fatalf("%s: subsegment %+v %+v", path, s, s.HTTP)
		}
	}
	if leaked.Load() {
		t.Fatal("the trace header was sent to the endpoint")
	}
}
