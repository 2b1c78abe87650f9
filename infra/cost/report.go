package cost

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/webhooks/infra/loadtest"
)

// ProxyTolerance is how far the meter and the proxy may differ on any total.
const ProxyTolerance = 0.10

// Result is one scenario's run.
type Result struct {
	Scenario Scenario
	Mix      []loadtest.Sample
	N        int
	// Accepted requests were answered 2xx; Events are the distinct events they stored.
	Accepted, Events int
	// Delivered counts the 2xx POSTs the subscribers answered.
	Delivered int
	Elapsed   time.Duration
	Drained   bool
	Rows      []Row
	// Proxy is the proxy's count of the same run, when it ran.
	Proxy  map[ProxyKey]Tally
	Prices Prices
}

// Totals are a run's sums, per ingested event once divided by PerEvent.
type Totals struct {
	DynamoDBCalls, DynamoDBWrites float64
	WriteUnits, ReadUnits         float64
	SQSCalls, KMSCalls, KMSRepeat float64
	LambdaRequests, APIRequests   float64
	Dollars                       float64
}

// count adds calls of service, with the write and read units DynamoDB reported, to the
// totals the proxy cross-check compares.
func (t *Totals) count(service string, calls, write, read float64) {
	switch service {
	case "DynamoDB":
		t.DynamoDBCalls += calls
		t.WriteUnits += write
		t.ReadUnits += read
	case "SQS":
		t.SQSCalls += calls
	case "KMS":
		t.KMSCalls += calls
	}
}

// Totals adds up the rows.
func (r Result) Totals() Totals {
	var t Totals
	for _, row := range r.Rows {
		t.Dollars += row.Dollars(r.Prices)
		switch row.Service {
		case "DynamoDB":
			t.DynamoDBCalls += row.Calls
			if row.IsWrite() {
				t.DynamoDBWrites += row.Calls
			}
			t.WriteUnits += row.Write
			t.ReadUnits += row.Read
		case "SQS":
			t.SQSCalls += row.Calls
		case "KMS":
			t.KMSCalls += row.Calls
			t.KMSRepeat += row.Calls - float64(row.First)
		case ServiceLambda:
			t.LambdaRequests += row.Calls
		case ServiceHTTPAPI:
			t.APIRequests += row.Calls
		}
	}
	return t
}

// PerEvent divides every total by the events ingested.
func (t Totals) PerEvent(events int) Totals {
	d := float64(max(events, 1))
	return Totals{
		DynamoDBCalls: t.DynamoDBCalls / d, DynamoDBWrites: t.DynamoDBWrites / d,
		WriteUnits: t.WriteUnits / d, ReadUnits: t.ReadUnits / d,
		SQSCalls: t.SQSCalls / d, KMSCalls: t.KMSCalls / d, KMSRepeat: t.KMSRepeat / d,
		LambdaRequests: t.LambdaRequests / d, APIRequests: t.APIRequests / d,
		Dollars: t.Dollars / d,
	}
}

// DollarsPerMillion is the cost of a million ingested events.
func (t Totals) DollarsPerMillion() float64 { return t.Dollars * 1e6 }

// mixName says what was sent.
func (r Result) mixName() string {
	var names []string
	for _, s := range r.Mix {
		names = append(names, s.Kind+" "+s.Name)
	}
	return strings.Join(names, ", ")
}

// Print writes the scenario's table: per ingested event, by function and operation.
func (r Result) Print(w io.Writer) {
	events := float64(max(r.Events, 1))
	fmt.Fprintf(w, "\n%s — %d × %s; %d accepted, %d events stored, %d deliveries answered 2xx, in %s\n",
		r.Scenario, r.N, r.mixName(), r.Accepted, r.Events, r.Delivered, r.Elapsed.Round(time.Second))
	fmt.Fprintf(w, "per ingested event, at list prices of %s (%s):\n", r.Prices.AsOf, r.Prices.Region)
	fmt.Fprintf(w, "  %-16s %-9s %-20s %-14s %8s %8s %8s %8s\n", "function", "service", "operation", "table", "calls", "WRU", "RRU", "$/M")
	for _, row := range r.Rows {
		op := row.Op
		if row.ConditionFailed > 0 {
			op += fmt.Sprintf(" (%d✗)", row.ConditionFailed)
		}
		fmt.Fprintf(w, "  %-16s %-9s %-20s %-14s %8.3f %8s %8s %8.3f\n", row.Function, row.Service, op, row.Table,
			row.Calls/events, units(row.Write/events), units(row.Read/events), row.Dollars(r.Prices)/events*1e6)
	}
	t := r.Totals().PerEvent(r.Events)
	fmt.Fprintf(w, "  total: DynamoDB writes %.2f, write units %.2f, read units %.2f, SQS calls %.2f, KMS calls %.3f (%.3f opening a secret its container had opened before), Lambda requests %.2f, HTTP API requests %.2f → $%.2f per million events\n",
		t.DynamoDBWrites, t.WriteUnits, t.ReadUnits, t.SQSCalls, t.KMSCalls, t.KMSRepeat, t.LambdaRequests, t.APIRequests, t.DollarsPerMillion())
	fmt.Fprintf(w, "  (x✗: conditional writes refused, one write unit each; %s rows: the event source mapping's receive and delete, one each per batch)\n", ESMPrefix)
	if r.Proxy != nil {
		r.printCheck(w)
	}
}

func units(v float64) string {
	if v == 0 {
		return "·"
	}
	return fmt.Sprintf("%.3f", v)
}

// Check compares the meter with the proxy: for each total, the meter's value, the proxy's
// and whether they agree within ProxyTolerance.
type Check struct {
	Name         string
	Meter, Proxy float64
}

// Agrees reports whether the two counts are within ProxyTolerance of each other.
func (c Check) Agrees() bool {
	if c.Meter == c.Proxy {
		return true
	}
	return math.Abs(c.Meter-c.Proxy) <= ProxyTolerance*math.Max(c.Meter, c.Proxy)
}

// Checks compares the functions' own counts with the proxy's (the modelled event source
// mapping calls are not the functions' and are left out).
func (r Result) Checks() []Check {
	var meter, proxy Totals
	for _, row := range r.Rows {
		if strings.HasPrefix(row.Function, ESMPrefix) {
			continue
		}
		meter.count(row.Service, row.Calls, row.Write, row.Read)
	}
	for k, t := range r.Proxy {
		proxy.count(k.Service, t.Calls, t.Write, t.Read)
	}
	return []Check{
		{"DynamoDB calls", meter.DynamoDBCalls, proxy.DynamoDBCalls},
		{"write units", meter.WriteUnits, proxy.WriteUnits},
		{"read units", meter.ReadUnits, proxy.ReadUnits},
		{"SQS calls", meter.SQSCalls, proxy.SQSCalls},
		{"KMS calls", meter.KMSCalls, proxy.KMSCalls},
	}
}

func (r Result) printCheck(w io.Writer) {
	fmt.Fprintf(w, "  proxy cross-check (the whole run, not per event; within %.0f %%):\n", ProxyTolerance*100)
	for _, c := range r.Checks() {
		verdict := "agree"
		if !c.Agrees() {
			verdict = "DISAGREE"
		}
		fmt.Fprintf(w, "    %-15s meter %10.1f   proxy %10.1f   %s\n", c.Name, c.Meter, c.Proxy, verdict)
	}
}

// Disagreements names the checks of every result that the proxy does not confirm.
func Disagreements(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.Proxy == nil {
			continue
		}
		for _, c := range r.Checks() {
			if !c.Agrees() {
				out = append(out, fmt.Sprintf("%s: %s meter %.1f, proxy %.1f", r.Scenario, c.Name, c.Meter, c.Proxy))
			}
		}
	}
	return out
}

// PrintSummary writes one line per scenario, as the README's performance table shows them.
func PrintSummary(w io.Writer, results []Result) {
	rs := slices.Clone(results)
	slices.SortStableFunc(rs, func(a, b Result) int {
		if a.Scenario.Mode.Name != b.Scenario.Mode.Name {
			return strings.Compare(a.Scenario.Mode.Name, b.Scenario.Mode.Name)
		}
		return a.Scenario.Subscribers - b.Scenario.Subscribers
	})
	fmt.Fprintln(w, "\nper ingested event:")
	fmt.Fprintln(w, "| mode | subscribers | DynamoDB writes | write units | read units | SQS calls | KMS calls | Lambda requests | $/M |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		t := r.Totals().PerEvent(r.Events)
		fmt.Fprintf(w, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.3f | %.2f | %.2f |\n", r.Scenario.Mode.Name, r.Scenario.Subscribers,
			t.DynamoDBWrites, t.WriteUnits, t.ReadUnits, t.SQSCalls, t.KMSCalls, t.LambdaRequests, t.DollarsPerMillion())
	}
}
