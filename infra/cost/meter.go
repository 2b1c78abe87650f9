package cost

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/wedsync/webhooks/shared/awsenv"
)

// Services a Key can name besides the AWS SDK's service ids (DynamoDB, SQS, KMS).
const (
	ServiceLambda  = "Lambda"
	ServiceHTTPAPI = "HTTP API"
)

// ESMPrefix marks the rows of the SQS calls Lambda's event source mappings make, modelled as
// one ReceiveMessage and one DeleteMessageBatch per batch (the local poller's extra receive
// and its empty long polls are not what AWS's mapping does, and empty polls do not grow with
// the events).
const ESMPrefix = "esm:"

// conditionFailed is the error code of a conditional write whose condition did not hold:
// DynamoDB bills it (one write unit at least) but reports no capacity with it, so the meter
// and the proxy count one write unit each.
const conditionFailed = "ConditionalCheckFailedException"

// Key groups what a run used: one operation of one function, on one table for DynamoDB.
type Key struct {
	Function, Service, Op, Table string
}

// Tally is what one Key used in a run.
type Tally struct {
	Calls float64
	// Write and Read are capacity units; failed conditional writes count one write unit.
	Write, Read float64
	// ConditionFailed counts conditional writes refused.
	ConditionFailed int
	// Indexes are the units each global secondary index took, included in Write or Read.
	Indexes map[string]float64
	// First counts KMS calls that were a process's first for their secret (a cold container,
	// or one that had not opened that secret yet); the rest are repeats.
	First int
}

// Meter adds up a run's AWS calls (CallStat lines), Lambda invocations and HTTP API requests.
// It is safe for concurrent use.
type Meter struct {
	// Tables maps physical table names to logical ones.
	Tables map[string]string
	// SQSTriggered names the functions an event source mapping invokes.
	SQSTriggered map[string]bool

	mu      sync.Mutex
	rows    map[Key]*Tally
	kmsSeen map[string]bool
}

func (m *Meter) tally(k Key) *Tally {
	if m.rows == nil {
		m.rows, m.kmsSeen = map[Key]*Tally{}, map[string]bool{}
	}
	t := m.rows[k]
	if t == nil {
		t = &Tally{}
		m.rows[k] = t
	}
	return t
}

// Call counts one AWS call.
func (m *Meter) Call(s awsenv.CallStat) {
	m.mu.Lock()
	defer m.mu.Unlock()
	table := s.Table
	if logical, ok := m.Tables[table]; ok {
		table = logical
	}
	t := m.tally(Key{Function: s.Function, Service: s.Service, Op: s.Op, Table: table})
	t.Calls++
	if c := s.Capacity; c != nil {
		t.Write += c.Write
		t.Read += c.Read
		for ix, units := range c.Indexes {
			if t.Indexes == nil {
				t.Indexes = map[string]float64{}
			}
			t.Indexes[ix] += units
		}
	}
	if s.Err == conditionFailed {
		t.ConditionFailed++
		t.Write++
	}
	if s.Service == "KMS" {
		seen := strconv.Itoa(s.Pid) + "/" + s.Context
		if !m.kmsSeen[seen] {
			t.First++
		}
		m.kmsSeen[seen] = true
	}
}

// Invocation counts one invocation of function: a Lambda request and, for a function an
// event source mapping invokes, the mapping's receive and delete of its batch.
func (m *Meter) Invocation(function string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tally(Key{Function: function, Service: ServiceLambda, Op: "Invoke"}).Calls++
	if m.SQSTriggered[function] {
		m.tally(Key{Function: ESMPrefix + function, Service: "SQS", Op: "ReceiveMessage"}).Calls++
		m.tally(Key{Function: ESMPrefix + function, Service: "SQS", Op: "DeleteMessageBatch"}).Calls++
	}
}

// Request counts one HTTP API request.
func (m *Meter) Request() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tally(Key{Function: "api-gateway", Service: ServiceHTTPAPI, Op: "Request"}).Calls++
}

// Rows returns a copy of every row, ordered by function, service, operation and table.
func (m *Meter) Rows() []Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Row, 0, len(m.rows))
	for k, t := range m.rows {
		c := *t
		c.Indexes = maps.Clone(t.Indexes)
		out = append(out, Row{Key: k, Tally: c})
	}
	slices.SortFunc(out, func(a, b Row) int {
		return strings.Compare(a.Function+"\x00"+a.Service+"\x00"+a.Op+"\x00"+a.Table, b.Function+"\x00"+b.Service+"\x00"+b.Op+"\x00"+b.Table)
	})
	return out
}

// Row is one Key and what it used.
type Row struct {
	Key
	Tally
}

// Dollars is what the row costs at p, in dollars.
func (r Row) Dollars(p Prices) float64 {
	pm := p.PerMillion
	var perMillion float64
	switch r.Service {
	case "DynamoDB":
		perMillion = r.Write*pm.DynamoDBWriteUnits + r.Read*pm.DynamoDBReadUnits
	case "SQS":
		perMillion = r.Calls * pm.SQSRequests
	case "KMS":
		perMillion = r.Calls * pm.KMSRequests
	case ServiceLambda:
		perMillion = r.Calls * pm.LambdaRequests
	case ServiceHTTPAPI:
		perMillion = r.Calls * pm.HTTPAPIRequests
	}
	return perMillion / 1e6
}

// IsWrite tells whether the row is a DynamoDB operation that writes.
func (r Row) IsWrite() bool { return r.Service == "DynamoDB" && !awsenv.IsRead(r.Op) }
