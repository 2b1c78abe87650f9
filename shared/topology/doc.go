// Package topology is the one description of what the system is made of: functions with
// their routes, schedules, event sources, tables, queues, timeouts and settings. The local
// stack (make dev) and the CDK stack both read it, so they cannot drift. It imports nothing
// of the CDK and nothing of AWS.
package topology
