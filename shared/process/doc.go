// Package process consumes the events queue: for each queued key it loads the stored event,
// runs the processing steps, and marks the event processed as its last step, so a
// redelivered message is harmless. It reports partial batch failures to SQS.
package process
