package process_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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
	seen []string
	err  error
}

func (s *recordingStep) Name() string { return "record" }

func (s *recordingStep) Apply(_ context.Context, ev envelope.Envelope) error {
	s.seen = append(s.seen, ev.ID)
	return s.err
}

func setup(t *testing.T) (*store.Events, *store.Events, *testenv.Recorder) {
	t.Helper()
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	tables := testenv.Tables(t, db)
	rec := testenv.NewRecorder()
	faulty := testenv.DynamoDB(t, testenv.Config(testenv.FaultCallTimeout, rec.Middleware))
	return &store.Events{DB: db, Table: tables["events"]}, &store.Events{DB: faulty, Table: tables["events"]}, rec
}

func put(t *testing.T, evs *store.Events, id string) {
	t.Helper()
	env := `{"specversion":"1.0","id":"` + id + `","type":"booking.created","data":{}}`
	if _, _, err := evs.PutNew(context.Background(), store.Event{ID: id, TenantID: "t", Type: "booking.created",
		CorrelationID: id, Time: now, Envelope: []byte(env), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
}

func msg(id, body string) events.SQSMessage { return events.SQSMessage{MessageId: id, Body: body} }

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func TestBatchReportsOnlyFailedItems(t *testing.T) {
	evs, _, _ := setup(t)
	put(t, evs, "evt_ok")
	put(t, evs, "evt_done")
	if err := evs.MarkProcessed(context.Background(), "evt_done", now); err != nil {
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
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); !slices.Equal(got, []string{"m-garbage", "m-missing", "m-no-id"}) {
		t.Fatalf("failures = %v", got)
	}
	if !slices.Equal(step.seen, []string{"evt_ok"}) {
		t.Fatalf("steps ran for %v; a processed event or a redelivery must not run them again", step.seen)
	}
	got, err := evs.Get(context.Background(), "evt_ok")
	if err != nil || got.Status != store.StatusProcessed {
		t.Fatalf("evt_ok: %+v %v", got, err)
	}
}

func TestFailedStepLeavesEventUnprocessed(t *testing.T) {
	evs, _, _ := setup(t)
	put(t, evs, "evt_a")
	step := &recordingStep{err: errors.New("downstream unavailable")}
	h := &process.Handler{Events: evs, Steps: []process.Step{step}, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	resp, _ := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{msg("m1", `{"event_id":"evt_a"}`)}})
	if got := failures(resp); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("failures = %v", got)
	}
	ids, err := evs.ListUnprocessed(context.Background(), now.Add(time.Minute), 10)
	if err != nil || !slices.Equal(ids, []string{"evt_a"}) {
		t.Fatalf("unprocessed = %v %v", ids, err)
	}
}

func TestAWSFaultsAreBatchItemFailures(t *testing.T) {
	for _, op := range []string{"GetItem", "UpdateItem"} {
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
