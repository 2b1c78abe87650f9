// Package retry computes when a failed delivery is tried again: the Standard Webhooks
// schedule by default, or a subscription's linear or exponential policy, each wait jittered
// by ±20 % from an injected random source and scaled for tests and the local stack.
package retry
