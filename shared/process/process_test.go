package process_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/process"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type recordingStep struct {
	mu   sync.Mutex
	seen []string
	err  error
}

func (s *recordingStep) Name() string { return "record" }

func (s *recordingStep) Apply(_ context.Context, ev envelope.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, ev.ID)
	return s.err
}

func (s *recordingStep) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := slices.Clone(s.seen)
	slices.Sort(ids)
	return ids
}

func setup(t *testing.T) (*store.Events, *store.Events, *testenv.Recorder) {
	t.Helper()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	tables := testenv.Tables(t, db)
	rec := testenv.NewRecorder()
	// The handler's client holds to the process function's grants, as its role does in AWS.
	faulty := testenv.DynamoDB(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware, testenv.Grants(t, "process", tables, nil)))
	return &store.Events{DB: db, Table: tables["events"]}, &store.Events{DB: faulty, Table: tables["events"]}, rec
}

func put(t *testing.T, evs *store.Events, id string) { putWith(t, evs, id, "") }

// putWith stores the event id with status ("" for received).
func putWith(t *testing.T, evs *store.Events, id, status string) {
	t.Helper()
	env := `{"specversion":"1.0","id":"` + id + `","type":"booking.created","data":{}}`
	if _, _, err := evs.PutNew(context.Background(), store.Event{ID: id, TenantID: "t", Type: "booking.created", Status: status,
		CorrelationID: id, Time: now, Envelope: []byte(env), ReceivedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func msg(id, body string) events.SQSMessage { return events.SQSMessage{MessageId: id, Body: body} }

// receive is the message of event id on its receives-th receive.
func receive(msgID, id string, receives int) events.SQSMessage {
	m := msg(msgID, `{"event_id":"`+id+`"}`)
	m.Attributes = map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives)}
	return m
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// TestBatchReportsOnlyFailedItems: only the messages that fail are reported; copies of one
// event in a batch run its steps once; an event stored processed runs none. An event marked
// processed by an earlier run is not read as such (its marker is a second read per event),
// so a redelivery runs its idempotent steps again and keeps the first processing time.
func TestBatchReportsOnlyFailedItems(t *testing.T) {
	evs, _, _ := setup(t)
	put(t, evs, "evt_ok")
	putWith(t, evs, "evt_done", store.StatusProcessed)
	put(t, evs, "evt_marked")
	if err := evs.MarkProcessed(context.Background(), "evt_marked", now.Add(-time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	step := &recordingStep{}
	h := &process.Handler{Events: evs, Steps: []process.Step{step}, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		msg("m-ok", `{"event_id":"evt_ok"}`),
		msg("m-done", `{"event_id":"evt_done"}`),
		msg("m-garbage", `not json`),
		msg("m-no-id", `{"delivery_id":"dlv_1"}`),
		msg("m-missing", `{"event_id":"evt_missing"}`),
		msg("m-ok-again", `{"event_id":"evt_ok"}`),
		msg("m-marked", `{"event_id":"evt_marked"}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); !slices.Equal(got, []string{"m-garbage", "m-missing", "m-no-id"}) {
		t.Fatalf("failures = %v", got)
	}
	if got := step.ids(); !slices.Equal(got, []string{"evt_marked", "evt_ok"}) {
		t.Fatalf("steps ran for %v; want each event stored received once, none stored processed", got)
	}
	got, err := evs.Get(context.Background(), "evt_ok")
	if err != nil || got.Status != store.StatusProcessed || !got.ProcessedAt.Equal(now) {
		t.Fatalf("evt_ok: %+v %v", got, err)
	}
	if got, err := evs.Get(context.Background(), "evt_marked"); err != nil || !got.ProcessedAt.Equal(now.Add(-time.Minute)) {
		t.Fatalf("evt_marked: processed at %v %v, want the first time", got.ProcessedAt, err)
	}
}

// TestLateReceiveEntersTheSweep: a failed step leaves the event unprocessed and its
// message failed; on an early receive the queue's retries cover it and the sweep index is
// not written; from the receive before the last one (maxReceiveCount 5: the 4th) the event
// enters the sweep index, with its receipt time there, so the scheduler queues it again
// once its message is in the dead-letter queue.
func TestLateReceiveEntersTheSweep(t *testing.T) {
	evs, _, _ := setup(t)
	put(t, evs, "evt_a")
	step := &recordingStep{err: errors.New("downstream unavailable")}
	at := now.Add(5 * time.Minute)
	h := &process.Handler{Events: evs, Steps: []process.Step{step}, Now: func() time.Time { return at }, Logger: slog.New(slog.DiscardHandler),
		MaxReceives: 5}
	swept := func() []store.Swept {
		found, _, err := evs.SweepUnprocessed(context.Background(), now.Add(time.Hour), 10, store.SweepCursor{})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	for receives := 1; receives <= 5; receives++ {
		resp, _ := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{receive("m1", "evt_a", receives)}})
		if got := failures(resp); !slices.Equal(got, []string{"m1"}) {
			t.Fatalf("receive %d: failures = %v", receives, got)
		}
		found := swept()
		switch {
		case receives < 4 && len(found) != 0:
			t.Fatalf("receive %d entered the sweep index: %+v", receives, found)
		case receives >= 4 && (len(found) != 1 || found[0].ID != "evt_a" || !found[0].At.Equal(at) || found[0].Processed):
			t.Fatalf("receive %d: the sweep index holds %+v, want evt_a unprocessed at %v", receives, found, at)
		}
	}
	if got, err := evs.Get(context.Background(), "evt_a"); err != nil || got.Status != store.StatusReceived {
		t.Fatalf("evt_a: %q %v", got.Status, err)
	}
	step.err = nil
	if resp, _ := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{receive("m2", "evt_a", 1)}}); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the requeued event failed: %+v", resp)
	}
	if found := swept(); len(found) != 1 || !found[0].Processed {
		t.Fatalf("once processed the sweep finds %+v, want evt_a processed (its marker), to take out", found)
	}
}

func TestAWSFaultsAreBatchItemFailures(t *testing.T) {
	for _, op := range []string{"GetItem", "PutItem"} {
		for _, fault := range []testenv.Fault{testenv.Fails, testenv.AppliedThenErrors, testenv.TimesOut} {
			t.Run(op+"/"+fault.String(), func(t *testing.T) {
				evs, faulty, rec := setup(t)
				put(t, evs, "evt_a")
				h := &process.Handler{Events: faulty, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
				batch := events.SQSEvent{Records: []events.SQSMessage{msg("m1", `{"event_id":"evt_a"}`)}}
				rec.Inject(op, fault)
				resp, err := h.Handle(context.Background(), batch)
				if err != nil || !slices.Equal(failures(resp), []string{"m1"}) {
					t.Fatalf("under the fault: %+v %v", resp, err)
				}
				rec.Inject(op, 0)
				resp, err = h.Handle(context.Background(), batch)
				if err != nil || len(resp.BatchItemFailures) != 0 {
					t.Fatalf("the redelivery: %+v %v", resp, err)
				}
				got, err := evs.Get(context.Background(), "evt_a")
				if err != nil || got.Status != store.StatusProcessed {
					t.Fatalf("after the redelivery: %+v %v", got, err)
				}
			})
		}
	}
}
