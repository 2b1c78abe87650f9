// Package awsenv builds the AWS clients every function uses from the environment: the SDK's
// standard endpoint variables, three attempts per call and a per-call deadline, so the same
// code runs against AWS and against the local emulators.
package awsenv
