// Package smoke checks a running stack end to end, the local one or one deployed to AWS:
// for each connection it is given, it posts the provider's sample event signed as that
// provider signs it, then finds the event through the management API (/v1/events) with its
// normalized type. `make smoke` runs it; the local stack's test runs it too.
package smoke
