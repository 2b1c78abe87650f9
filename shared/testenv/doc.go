// Package testenv gives tests real AWS emulators: it starts DynamoDB Local and local-aws-sqs
// on free loopback ports once per test process (or uses running ones named by
// WEDSYNC_TEST_DYNAMODB_ENDPOINT / WEDSYNC_TEST_SQS_ENDPOINT), hands each test its own
// tables and queues with real SDK clients, and stops what it started.
package testenv
