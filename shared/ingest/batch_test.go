package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
	"github.com/wedsync/webhooks/shared/queue"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
	"github.com/wedsync/webhooks/shared/topology"
)

// mandrillElements returns n distinct Mandrill send events, numbered from first.
func mandrillElements(first, n int) []string {
	els := make([]string, n)
	for i := range els {
		id := fmt.Sprintf("msg%06d", first+i)
		els[i] = `{"event":"send","_id":"` + id + `","ts":1795600700,"msg":{"_id":"` + id + `","email":"guest` + id +
			`@example.com","subject":"Your booking is confirmed","state":"sent"}}`
	}
	return els
}

// mandrillRequest is a signed Mandrill POST carrying els.
func mandrillRequest(els []string) events.APIGatewayV2HTTPRequest {
	form := url.Values{"mandrill_events": {"[" + strings.Join(els, ",") + "]"}}
	headers := map[string]string{"content-type": "application/x-www-form-urlencoded", "x-mandrill-signature": mandrill.Sign(mandrillKey, mandrillURL, form)}
	return request("POST", "mandrill", "conn-mandrill", headers, []byte(form.Encode()))
}

// batchAnswer is the answer to a Mandrill batch.
type batchAnswer struct {
	status int
	raw    string
	Data   struct {
		Events     []ingest.Accepted `json:"events"`
		Accepted   int               `json:"accepted"`
		Duplicates int               `json:"duplicates"`
	} `json:"data"`
}

// invokeWithin runs h as the Lambda runtime would, with the function's deadline.
func invokeWithin(t *testing.T, h *ingest.Handler, req events.APIGatewayV2HTTPRequest, deadline time.Duration) batchAnswer {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	out, err := lambda.NewHandler(h.Handle).Invoke(ctx, in)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	a := batchAnswer{status: resp.StatusCode, raw: resp.Body}
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil {
		t.Fatalf("answer body %q is not JSON: %v", resp.Body, err)
	}
	return a
}

// queuedIDs takes every message off the queue and returns the distinct event ids, sorted,
// and how many messages there were.
func (p *pipeline) queuedIDs() ([]string, int) {
	p.t.Helper()
	msgs := p.drain()
	return p.eventIDs(msgs), len(msgs)
}

// eventIDs returns the distinct event ids msgs carry, sorted.
func (p *pipeline) eventIDs(msgs []sqstypes.Message) []string {
	p.t.Helper()
	seen := map[string]bool{}
	for _, m := range msgs {
		id, err := queue.ParseEventMessage(aws.ToString(m.Body))
		if err != nil {
			p.t.Fatal(err)
		}
		seen[id] = true
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func ingestTimeout(t *testing.T) time.Duration {
	f, ok := topology.Default().Function("ingest-mandrill")
	if !ok {
		t.Fatal("no ingest-mandrill in the topology")
	}
	return f.Timeout
}

// TestMandrillBatchOfAThousandFitsTheTimeout: with 20 ms added to every AWS call, a batch
// of 1,000 elements is stored and queued within the function's 10 s timeout (the
// invocation's deadline), with one conditional put per element and one SendMessageBatch
// per ten, a few at a time: about 2.5 s of added latency on the critical path, where
// storing and queueing one element after another needs 2,000 calls in a row, 40 s.
func TestMandrillBatchOfAThousandFitsTheTimeout(t *testing.T) {
	p := newPipeline(t, options{latency: 20 * time.Millisecond})
	timeout := ingestTimeout(t)
	els := mandrillElements(0, mandrill.MaxEvents)
	began := time.Now()
	a := invokeWithin(t, p.mandrill, mandrillRequest(els), timeout)
	took := time.Since(began)
	t.Logf("1,000 elements in %v; calls %v", took, p.rec.Calls())
	if a.status != 200 || a.Data.Accepted != len(els) || len(a.Data.Events) != len(els) {
		t.Fatalf("after %v: %d accepted=%d %.300s", took, a.status, a.Data.Accepted, a.raw)
	}
	if took >= timeout {
		t.Fatalf("took %v, the whole %v timeout", took, timeout)
	}
	calls := p.rec.Calls()
	if calls["PutItem"] != len(els) || calls["SendMessageBatch"] != len(els)/10 || calls["SendMessage"] != 0 {
		t.Fatalf("calls %v, want %d PutItem and %d SendMessageBatch", calls, len(els), len(els)/10)
	}
	ids, n := p.queuedIDs()
	if len(ids) != len(els) || n != len(els) {
		t.Fatalf("queued %d messages for %d events, want %d of each", n, len(ids), len(els))
	}
	for i, ev := range a.Data.Events {
		if _, found := slices.BinarySearch(ids, ev.EventID); !found || ev.Duplicate {
			t.Fatalf("element %d: %+v not queued as new", i, ev)
		}
	}
}

// TestMandrillBatchQueuesWhatIsNotProcessed: a resent batch answers every element as a
// duplicate and queues again exactly those not yet processed.
func TestMandrillBatchQueuesWhatIsNotProcessed(t *testing.T) {
	p := newPipeline(t, options{})
	first := mandrillElements(0, 12)
	if a := invokeWithin(t, p.mandrill, mandrillRequest(first), ingestTimeout(t)); a.status != 200 || a.Data.Accepted != 12 {
		t.Fatalf("first batch: %d %s", a.status, a.raw)
	}
	p.processAll(p.drain())
	both := append(slices.Clone(first), mandrillElements(100, 5)...)
	for round := 1; round <= 2; round++ {
		a := invokeWithin(t, p.mandrill, mandrillRequest(both), ingestTimeout(t))
		wantNew := map[int]int{1: 5, 2: 0}[round]
		if a.status != 200 || a.Data.Accepted != wantNew || a.Data.Duplicates != len(both)-wantNew {
			t.Fatalf("round %d: %d %s", round, a.status, a.raw)
		}
		ids, n := p.queuedIDs()
		var want []string
		for _, ev := range a.Data.Events[len(first):] {
			want = append(want, ev.EventID)
		}
		slices.Sort(want)
		if !slices.Equal(ids, want) || n != len(want) {
			t.Fatalf("round %d queued %v (%d messages), want the 5 not processed %v", round, ids, n, want)
		}
	}
}

// TestMandrillBatchFaults: whatever goes wrong with the puts or the batch sends, the answer
// is 5xx (or 2xx with every element queued); the provider's resend of the whole batch then
// answers 200 and leaves every element stored, queued and, once processed, processed once.
func TestMandrillBatchFaults(t *testing.T) {
	els := mandrillElements(0, 25)
	for _, op := range []string{"PutItem", "SendMessageBatch"} {
		for _, fault := range []testenv.Fault{testenv.Fails, testenv.AppliedThenErrors, testenv.TimesOut} {
			t.Run(op+"/"+fault.String(), func(t *testing.T) {
				p := newPipeline(t, options{timeout: testenv.FaultCallTimeout})
				p.rec.Inject(op, fault)
				first := invokeWithin(t, p.mandrill, mandrillRequest(els), ingestTimeout(t))
				p.rec.Inject(op, 0)
				queued, _ := p.queuedIDs()
				switch {
				case first.status == 200:
					if len(queued) != len(els) {
						t.Fatalf("answered 200 but queued %d of %d", len(queued), len(els))
					}
				case first.status < 500:
					t.Fatalf("a fault answered %d %s", first.status, first.raw)
				}
				retry := invokeWithin(t, p.healthyMandrill, mandrillRequest(els), ingestTimeout(t))
				if retry.status != 200 || len(retry.Data.Events) != len(els) {
					t.Fatalf("the resend: %d %.300s", retry.status, retry.raw)
				}
				msgs := p.drain()
				if requeued := p.eventIDs(msgs); len(requeued) != len(els) {
					t.Fatalf("the resend queued %d of %d", len(requeued), len(els))
				}
				p.processAll(msgs)
				evs := p.stored()
				if len(evs) != len(els) {
					t.Fatalf("stored %d events, want %d", len(evs), len(els))
				}
				for _, ev := range evs {
					if ev.Status == store.StatusProcessed {
						continue
					}
					t.Fatalf("event %s is %s", ev.ID, ev.Status)
				}
			})
		}
	}
}
