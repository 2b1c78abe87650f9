package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is where every metric of the product lives.
const Namespace = "WedSync/Webhooks"

// Units of the metrics we emit.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// Dim is one dimension of a data point.
type Dim struct{ Name, Value string }

// Recorder writes EMF lines to W. A nil Recorder records nothing.
type Recorder struct {
	W   io.Writer
	Now func() time.Time
	mu  sync.Mutex
}

// Add records value of name (in unit) with dims.
func (r *Recorder) Add(name, unit string, value float64, dims ...Dim) {
	if r == nil || r.W == nil {
		return
	}
	names := make([]string, len(dims))
	line := map[string]any{}
	for i, d := range dims {
		names[i] = d.Name
		line[d.Name] = d.Value
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	line[name] = value
	line["_aws"] = map[string]any{
		"Timestamp": now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  Namespace,
			"Dimensions": [][]string{names},
			"Metrics":    []map[string]string{{"Name": name, "Unit": unit}},
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.W.Write(append(b, '\n'))
}
