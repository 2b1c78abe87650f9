package metrics_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/metrics"
)

func TestEMFLine(t *testing.T) {
	var buf bytes.Buffer
	r := &metrics.Recorder{W: &buf, Now: func() time.Time { return time.UnixMilli(1795600800000) }}
	r.Add("EventsRejected", metrics.Count, 1, metrics.Dim{Name: "Provider", Value: "stripe"}, metrics.Dim{Name: "Reason", Value: "INVALID_SIGNATURE"})
	var line struct {
		AWS struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Provider       string
		Reason         string
		EventsRejected float64
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	m := line.AWS.CloudWatchMetrics
	if line.AWS.Timestamp != 1795600800000 || len(m) != 1 || m[0].Namespace != metrics.Namespace ||
		len(m[0].Dimensions) != 1 || len(m[0].Dimensions[0]) != 2 || m[0].Metrics[0].Name != "EventsRejected" ||
		line.Provider != "stripe" || line.Reason != "INVALID_SIGNATURE" || line.EventsRejected != 1 {
		t.Fatalf("line %s", buf.String())
	}
	var nilRecorder *metrics.Recorder
	nilRecorder.Add("x", metrics.Count, 1)
}
