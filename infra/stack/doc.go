// Package stack is the CDK stack WedSyncWebhooks, generated from the topology: the HTTP
// API, every function with a role that grants exactly what the topology says it uses, the
// queues and their dead-letter queues, the tables and their indexes, the schedule, the KMS
// keys, alarms, a dashboard and outputs.
package stack
