package loadtest

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// MaxListed bounds the lost deliveries and duplicates listed one by one.
const MaxListed = 25

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 10*time.Millisecond && d > -10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second && d > -time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}

// Print writes the report: knobs, outcome table, duplicates and kills, losses, where the
// time goes, and the verdict.
func (r Report) Print(w io.Writer) {
	r.Knobs.Print(w)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "ingest      %d requests in %s: %d accepted (%d events), %d rejected, %d retried by the sender\n",
		r.Requests, r.SendTime.Round(time.Millisecond), r.AcceptedRequests, r.Accepted, r.RejectedRequests, r.RetriedRequests)
	for _, k := range slices.Sorted(maps.Keys(r.Rejections)) {
		fmt.Fprintf(w, "            rejected %d× %s\n", r.Rejections[k], k)
	}
	fmt.Fprintf(w, "            latency p50 %s  p99 %s  max %s   %.1f events/s accepted\n", ms(r.Ingest.P50), ms(r.Ingest.P99), ms(r.Ingest.Max), r.EventsPerSecond)
	fmt.Fprintf(w, "stored      %d of %d accepted events; %d more derived (reactions, notices); %d processed; %d events in the DLQ\n",
		r.Stored, r.Accepted, r.Derived, r.Processed, r.EventsInDLQ)
	fmt.Fprintf(w, "end to end  ingest answer → first 2xx at the subscriber: p50 %s  p99 %s  max %s   %.1f deliveries/s\n",
		ms(r.EndToEnd.P50), ms(r.EndToEnd.P99), ms(r.EndToEnd.Max), r.DeliveredPerSec)
	fmt.Fprintf(w, "run         %s in all, drained: %v\n\n", r.Elapsed.Round(time.Second), r.Drained)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "subscriber\texpected\tdelivered\texhausted\tfailed\tin DLQ\tlive\tlost\tnot expected\tPOSTs\t2xx\tdup 2xx\tbad sig\te2e p50\te2e p99\t")
	for _, s := range r.Subscribers {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", s.Name, s.Expected, s.Delivered, s.Exhausted, s.Failed,
			s.InDLQ, s.Live, s.Lost, s.NotExpected, s.POSTs, s.Answered2xx, s.Duplicate2xx, s.BadSignatures, ms(s.EndToEnd.P50), ms(s.EndToEnd.P99))
	}
	_ = tw.Flush()
	for _, s := range r.Subscribers {
		for _, reason := range slices.Sorted(maps.Keys(s.Reasons)) {
			fmt.Fprintf(w, "  %s: %d %s\n", s.Name, s.Reasons[reason], reason)
		}
	}

	r.printDuplicates(w)
	r.printLost(w)
	r.printTime(w)

	fmt.Fprintln(w)
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(w, "FAIL: %s\n", strings.Join(f, "; "))
	} else {
		fmt.Fprintf(w, "PASS: 0 lost, %d duplicate 2xx POSTs, all within the kill allowance\n", r.DuplicatesAllowed)
	}
}

func (r Report) printDuplicates(w io.Writer) {
	fmt.Fprintf(w, "\nduplicate 2xx POSTs: %d within the kill allowance, %d beyond it\n", r.DuplicatesAllowed, r.DuplicatesBeyond)
	perDelivery := map[int]int{}
	for _, d := range r.Duplicates {
		perDelivery[len(d.Arrivals)-1]++
	}
	for _, n := range slices.Sorted(maps.Keys(perDelivery)) {
		fmt.Fprintf(w, "  %d deliveries with %d extra 2xx POST(s)\n", perDelivery[n], n)
	}
	for i, d := range r.Duplicates {
		if i == MaxListed {
			fmt.Fprintf(w, "  … %d more\n", len(r.Duplicates)-MaxListed)
			break
		}
		var at []string
		for _, a := range d.Arrivals {
			at = append(at, a.Format("15:04:05.000"))
		}
		why := "beyond the allowance"
		if d.Beyond() == 0 {
			why = fmt.Sprintf("allowed by kill %v", plusOne(d.Kills))
		}
		fmt.Fprintf(w, "  %s %s (%s, event %s): 2xx at %s — %s\n", d.Subscriber, d.WebhookID, d.DeliveryID, d.EventID, strings.Join(at, ", "), why)
	}
	if len(r.Kills) == 0 {
		return
	}
	fmt.Fprintln(w, "kills")
	for i, k := range r.Kills {
		if k.Skipped != "" {
			fmt.Fprintf(w, "  #%d %s: skipped (%s)\n", i+1, k.Function, k.Skipped)
			continue
		}
		fmt.Fprintf(w, "  #%d %s#%d runtime %d at +%s, %s into a batch of %d: %d POSTs in flight (%d answered 2xx = the allowance), explains %d duplicate(s)\n",
			i+1, k.Function, k.Instance+1, k.Pid, k.At.Sub(r.SendStart).Round(time.Millisecond), k.At.Sub(k.Started).Round(time.Millisecond),
			len(k.Keys), len(k.InFlight), k.Allowance, k.Duplicates)
		for _, p := range k.InFlight {
			fmt.Fprintf(w, "      in flight: %s %s (%s) arrived %s, answered %d\n", p.Subscriber, p.WebhookID, p.DeliveryID, p.At.Format("15:04:05.000"), p.Status)
		}
	}
}

func plusOne(is []int) []int {
	out := make([]int, len(is))
	for i, v := range is {
		out[i] = v + 1
	}
	return out
}

func (r Report) printLost(w io.Writer) {
	fmt.Fprintf(w, "\nlost: %d\n", len(r.Lost))
	reasons := map[string]int{}
	for _, l := range r.Lost {
		reasons[l.Kind+": "+l.Reason]++
	}
	for _, reason := range slices.Sorted(maps.Keys(reasons)) {
		fmt.Fprintf(w, "  %d× %s\n", reasons[reason], reason)
	}
	for i, l := range r.Lost {
		if i == MaxListed {
			fmt.Fprintf(w, "  … %d more\n", len(r.Lost)-MaxListed)
			break
		}
		fmt.Fprintf(w, "  %s %s %s (event %s): %s\n", l.Kind, l.ID, l.Subscriber, l.EventID, l.Reason)
	}
}

func (r Report) printTime(w io.Writer) {
	fmt.Fprintln(w, "\nwhere the time goes (measured: the pools time every invocation, the functions' AWS clients every call)")
	aws := map[string]time.Duration{}
	calls := map[string]int{}
	for k, c := range r.Calls {
		aws[k.Function] += c.Latency.Total
		calls[k.Function] += c.Latency.N
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tinvocations\tfailed\tqueue wait p50\tp99\trun p50\tp99\tmean\tAWS calls/inv\tAWS time/inv\tPOST time/inv\trest/inv\t")
	for _, fn := range slices.Sorted(maps.Keys(r.Functions)) {
		f := r.Functions[fn]
		n := max(f.Run.N, 1)
		awsPer := aws[fn] / time.Duration(n)
		var post time.Duration
		if fn == "deliver" {
			post = r.PostTime / time.Duration(n)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t\n", fn, f.Run.N, f.Failed, ms(f.Wait.P50), ms(f.Wait.P99),
			ms(f.Run.P50), ms(f.Run.P99), ms(f.Run.Mean()), float64(calls[fn])/float64(n), ms(awsPer), ms(post), ms(f.Run.Mean()-awsPer-post))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "  rest = run − AWS − POST: our code, the runtime and the RIE; negative where a worker's calls overlap")

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AWS call\tcalls\tattempts\tp50\tp99\tmax\tthrottles injected\t500s injected\terrors returned\t")
	keys := slices.Collect(maps.Keys(r.Calls))
	slices.SortFunc(keys, func(a, b CallKey) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Op, b.Op))
	})
	var throttles, serverErrors int
	gaveUp := map[string]int{}
	for _, k := range keys {
		c := r.Calls[k]
		throttles += c.Throttles
		serverErrors += c.ServerErrors
		var errs []string
		for _, code := range slices.Sorted(maps.Keys(c.Errors)) {
			errs = append(errs, fmt.Sprintf("%s×%d", code, c.Errors[code]))
			if code != "ConditionalCheckFailedException" {
				gaveUp[k.Service+" "+code] += c.Errors[code]
			}
		}
		fmt.Fprintf(tw, "%s %s.%s\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t\n", k.Function, k.Service, k.Op, c.Latency.N, c.Attempts,
			ms(c.Latency.P50), ms(c.Latency.P99), ms(c.Latency.Max), c.Throttles, c.ServerErrors, strings.Join(errs, " "))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "  injected: %d DynamoDB throttles, %d SQS 500s; calls that failed after every attempt: %v\n", throttles, serverErrors, gaveUp)
	fmt.Fprintln(w, "end-to-end stages (delivered events, from the stores' timestamps)")
	for _, s := range r.Stages {
		fmt.Fprintf(w, "  %-66s p50 %8s  p99 %8s  (n=%d)\n", s.Name, ms(s.P50), ms(s.P99), s.N)
	}
}
