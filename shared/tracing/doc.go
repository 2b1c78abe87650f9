// Package tracing shows each AWS SDK call and each outgoing request of a function in its
// X-Ray trace: it sends one subsegment per call, under the invocation's segment, to the X-Ray
// daemon Lambda runs beside the function (JSON over UDP, the daemon's documented protocol).
// It is a few hundred lines of standard library rather than the X-Ray SDK, so it costs the
// cold start nothing measurable; it sends nothing unless the invocation's trace header says
// the trace is sampled and a daemon address is configured.
package tracing
