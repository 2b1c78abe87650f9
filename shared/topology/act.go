package topology

import "time"

// act is the worker that runs command events through the providers' APIs: it reads the
// command, leases its action record, calls the provider with the connection's outbound
// credentials (refreshing and storing OAuth2 tokens, sharing the rate-limit bucket) and
// records the outcome as an event. It also runs the tenants' background jobs (a contact's
// erasure): a job reads every item of its tenant in the tables that hold event data and
// rewrites those that hold the contact, a step per message, queuing its next step.
func act() Function {
	return Function{
		Name:        "act",
		Description: "runs command events through the providers' APIs and records each outcome as an event",
		Source:      &EventSource{Queue: QueueCommands, BatchSize: 5, MaxConcurrency: 5},
		Tables: map[string]Access{
			TableEvents: Rewrite, TableCredentials: ReadWrite, TableActionRecords: ReadWrite,
			TableRateLimits: Write, TableConnections: Read,
			TableDeliveries: Rewrite, TableIdempotencyKeys: Rewrite, TableJobs: ReadWrite,
		},
		Queues:   map[string]Access{QueueEvents: Send, QueueCommands: Send}, // commands: a job's next step
		Secrets:  SealSecrets,
		Timeout:  60 * time.Second,
		MemoryMB: 256,
	}
}
