package topology

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/providers/kinds"
)

// Logical table names.
const (
	TableConnections     = "connections"
	TableEvents          = "events"
	TableSubscriptions   = "subscriptions"
	TableAPIKeys         = "api_keys"
	TableIdempotencyKeys = "idempotency_keys"
	TableDeliveries      = "deliveries"
	TableRateLimits      = "rate_limits"
	TableCredentials     = "credentials"
	TableActionRecords   = "actions"
	TableTenants         = "tenants"
	TableJobs            = "jobs"
)

// Logical queue names.
const (
	QueueEvents     = "events"
	QueueDeliveries = "deliveries"
	QueueCommands   = "commands"
)

// Access is what a function may do with a table or queue.
type Access int

// Accesses, least first.
const (
	// Read: GetItem, BatchGetItem and Query.
	Read Access = iota + 1
	// Write: PutItem and UpdateItem.
	Write
	// ReadWrite: Read and Write.
	ReadWrite
	// Full: ReadWrite and DeleteItem.
	Full
	// Send: SendMessage to a queue.
	Send
	// Consume: the queue is the function's event source.
	Consume
	// SendAndWatch: SendMessage, and GetQueueAttributes to see the queue's backlog.
	SendAndWatch
	// Rewrite: Full and Scan, to read every item of a tenant and rewrite or delete the ones
	// that hold a value (erasure).
	Rewrite
	// List: Read and Scan, to read every item of a small table (the scheduler lists the
	// tenants).
	List
)

// Sends reports whether an access lets a function send to a queue.
func (a Access) Sends() bool { return a == Send || a == SendAndWatch }

// QueueActions are the SQS actions a sending access allows.
func QueueActions(a Access) []string {
	switch a {
	case Send:
		return []string{"sqs:SendMessage"}
	case SendAndWatch:
		return []string{"sqs:SendMessage", "sqs:GetQueueAttributes"}
	}
	return nil
}

// TableActions are the DynamoDB actions an access allows.
func TableActions(a Access) []string {
	read := []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
	write := []string{"dynamodb:PutItem", "dynamodb:UpdateItem"}
	switch a {
	case Read:
		return read
	case Write:
		return write
	case ReadWrite:
		return append(read, write...)
	case Full:
		return append(append(read, write...), "dynamodb:DeleteItem")
	case Rewrite:
		return append(append(read, write...), "dynamodb:DeleteItem", "dynamodb:Scan")
	case List:
		return append(read, "dynamodb:Scan")
	}
	return nil
}

// SecretUse is what a function does with sealed secrets.
type SecretUse int

// Secret uses.
const (
	// NoSecrets: the function never sees a secret.
	NoSecrets SecretUse = iota
	// OpenSecrets: the function decrypts secrets (kms:Decrypt).
	OpenSecrets
	// SealSecrets: the function seals and opens secrets (kms:GenerateDataKey and kms:Decrypt).
	SealSecrets
)

// Route is an HTTP API route answered by a function.
type Route struct {
	// Method is "ANY" for ingest routes: the function answers 405 itself.
	Method string
	Path   string
}

// EventSource maps a queue onto a function, as Lambda's SQS event source mapping does.
type EventSource struct {
	Queue     string
	BatchSize int
	// MaxConcurrency caps how many batches run at once.
	MaxConcurrency int
}

// Schedule invokes a function at a fixed rate.
type Schedule struct {
	Name  string
	Every time.Duration
}

// Function is one Lambda: one entry point under functions/<Name>.
type Function struct {
	Name        string
	Description string
	Routes      []Route
	Source      *EventSource
	Schedules   []Schedule
	// Tables and Queues it uses, with the least access it needs.
	Tables  map[string]Access
	Queues  map[string]Access
	Secrets SecretUse
	Timeout time.Duration
	// MemoryMB is its memory size.
	MemoryMB int
}

// Queue is an SQS queue with its dead-letter queue.
type Queue struct {
	Name string
	// MaxReceiveCount receives move a message to the DLQ; it catches crashes and poison.
	MaxReceiveCount int
	Retention       time.Duration
}

// DLQ is the name of the queue's dead-letter queue.
func (q Queue) DLQ() string { return q.Name + "-dlq" }

// VisibilityFactor is how many times its consumer's timeout a queue's visibility is.
const VisibilityFactor = 6

// Spec is the whole system.
type Spec struct {
	Functions []Function
	Queues    []Queue
	Tables    []string
}

// Default is the system as deployed: an ingest function per provider kind, then the rest.
func Default() Spec { return ForKinds(kinds.All()) }

// ForKinds is the system with an ingest function (ingest-<kind>, ANY
// /webhooks/<kind>/{connectionId}) for each provider kind.
func ForKinds(providers []string) Spec {
	ingest := func(kind string) Function {
		return Function{
			Name:        "ingest-" + kind,
			Description: "verifies, normalizes, stores and queues " + kind + " webhooks",
			Routes:      []Route{{Method: "ANY", Path: "/webhooks/" + kind + "/{connectionId}"}},
			Tables:      map[string]Access{TableConnections: Read, TableEvents: ReadWrite}, // events: a duplicate's processed marker
			Queues:      map[string]Access{QueueEvents: Send},
			Secrets:     OpenSecrets,
			Timeout:     10 * time.Second,
			MemoryMB:    256,
		}
	}
	var ingestAll []Function
	for _, kind := range providers {
		ingestAll = append(ingestAll, ingest(kind))
	}
	return Spec{
		Functions: append(ingestAll, []Function{
			{
				Name:        "api",
				Description: "the tenants' management API",
				Routes:      []Route{{Method: "ANY", Path: "/v1/{proxy+}"}},
				Tables: map[string]Access{
					TableAPIKeys: ReadWrite, TableConnections: Full, TableSubscriptions: Full,
					TableEvents: ReadWrite, TableIdempotencyKeys: Full, TableDeliveries: ReadWrite, TableRateLimits: Write,
					TableCredentials: Write, TableJobs: ReadWrite,
				},
				Queues:   map[string]Access{QueueDeliveries: Send, QueueCommands: Send}, // commands: background jobs
				Secrets:  SealSecrets,
				Timeout:  10 * time.Second,
				MemoryMB: 256,
			},
			{
				Name:        "process",
				Description: "runs reactions, fans queued events out to subscriptions and marks them processed",
				Source:      &EventSource{Queue: QueueEvents, BatchSize: 10, MaxConcurrency: 10},
				Tables:      map[string]Access{TableEvents: ReadWrite, TableSubscriptions: Read, TableCredentials: Read},
				Queues:      map[string]Access{QueueDeliveries: Send, QueueCommands: Send}, // a reaction's children are processed inline
				Timeout:     30 * time.Second,
				MemoryMB:    256,
			},
			{
				Name:        "deliver",
				Description: "POSTs each delivery attempt, signed, and schedules the next",
				Source:      &EventSource{Queue: QueueDeliveries, BatchSize: 10, MaxConcurrency: 20},
				Tables: map[string]Access{
					TableDeliveries: ReadWrite, TableSubscriptions: ReadWrite, TableEvents: ReadWrite, TableRateLimits: Write,
				},
				Queues:   map[string]Access{QueueDeliveries: Send, QueueEvents: Send},
				Secrets:  OpenSecrets,
				Timeout:  60 * time.Second,
				MemoryMB: 256,
			},
			{
				Name:        "scheduler",
				Description: "queues due deliveries and events stored but never queued",
				Schedules:   []Schedule{{Name: "every-minute", Every: time.Minute}},
				// events: moves sweep times; tenants: lists them to find events never queued.
				Tables:   map[string]Access{TableEvents: ReadWrite, TableDeliveries: Read, TableTenants: List},
				Queues:   map[string]Access{QueueEvents: Send, QueueDeliveries: SendAndWatch}, // deliveries: its backlog
				Timeout:  60 * time.Second,
				MemoryMB: 256,
			},
			act(),
		}...),
		Queues: []Queue{
			{Name: QueueEvents, MaxReceiveCount: 5, Retention: 14 * 24 * time.Hour},
			{Name: QueueDeliveries, MaxReceiveCount: 5, Retention: 14 * 24 * time.Hour},
			{Name: QueueCommands, MaxReceiveCount: 5, Retention: 14 * 24 * time.Hour},
		},
		Tables: []string{TableConnections, TableEvents, TableSubscriptions, TableDeliveries, TableRateLimits, TableAPIKeys, TableIdempotencyKeys,
			TableCredentials, TableActionRecords, TableTenants, TableJobs},
	}
}

// Function returns the function called name.
func (s Spec) Function(name string) (Function, bool) {
	i := slices.IndexFunc(s.Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return s.Functions[i], true
}

// Names lists the functions' names in order.
func (s Spec) Names() []string {
	names := make([]string, len(s.Functions))
	for i, f := range s.Functions {
		names[i] = f.Name
	}
	return names
}

// Visibility is a queue's visibility timeout: VisibilityFactor × its consumer's timeout.
func (s Spec) Visibility(queue string) time.Duration {
	v := 30 * time.Second
	for _, f := range s.Functions {
		if f.Source != nil && f.Source.Queue == queue {
			v = max(v, VisibilityFactor*f.Timeout)
		}
	}
	return v
}

// MaxReceives is a queue's maxReceiveCount (0 for a queue the spec lacks): the receives
// after which a message moves to its DLQ.
func (s Spec) MaxReceives(queue string) int {
	for _, q := range s.Queues {
		if q.Name == queue {
			return q.MaxReceiveCount
		}
	}
	return 0
}

// TableEnv is the variable that carries a table's physical name.
func TableEnv(table string) string { return "WEDSYNC_" + envName(table) + "_TABLE" }

// QueueEnv is the variable that carries a queue's URL.
func QueueEnv(queue string) string { return "WEDSYNC_" + envName(queue) + "_QUEUE_URL" }

func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// ResourceVars names the function's resource variables, sorted: one per table it uses and
// one per queue it sends to.
func (f Function) ResourceVars() []string {
	var names []string
	for t := range f.Tables {
		names = append(names, TableEnv(t))
	}
	for q, access := range f.Queues {
		if access.Sends() {
			names = append(names, QueueEnv(q))
		}
	}
	slices.Sort(names)
	return names
}

// Resources resolves logical names to physical ones in one deployment.
type Resources struct {
	Tables    map[string]string
	QueueURLs map[string]string
}

// Environment is the function's resource variables in a deployment: one per table it uses
// and one per queue it sends to.
func (f Function) Environment(r Resources) (map[string]string, error) {
	env := map[string]string{}
	for t := range f.Tables {
		name, ok := r.Tables[t]
		if !ok {
			return nil, fmt.Errorf("function %s: table %s has no physical name", f.Name, t)
		}
		env[TableEnv(t)] = name
	}
	for q, access := range f.Queues {
		if !access.Sends() {
			continue
		}
		url, ok := r.QueueURLs[q]
		if !ok {
			return nil, fmt.Errorf("function %s: queue %s has no URL", f.Name, q)
		}
		env[QueueEnv(q)] = url
	}
	return env, nil
}
