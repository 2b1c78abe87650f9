// Package metrics writes CloudWatch Embedded Metric Format lines: one JSON line per data
// point on the function's output, which CloudWatch Logs turns into metrics with no API call.
package metrics
