// Package local runs the whole system on one machine: the real function binaries under
// the Lambda Runtime Interface Emulator, real DynamoDB, SQS and KMS emulators, a router that
// plays API Gateway, a poller per event source mapping and a ticker per schedule — all laid
// out by the topology, all on 127.0.0.1.
package local
