// Package testenv gives tests real AWS emulators: it starts DynamoDB Local, local-aws-sqs and
// local-kms on free loopback ports once per test process (or uses running ones named by
// WEDSYNC_TEST_DYNAMODB_ENDPOINT / _SQS_ENDPOINT / _KMS_ENDPOINT), hands each test its own
// tables, queues and keys with real SDK clients, and stops what it started.
package testenv
