// Package jobs runs a tenant's background jobs: the management API starts one (a job record
// with its input sealed, and a message on the commands queue), and the act worker runs it a
// step at a time, each within its invocation's time, saving where the next goes on from.
// The one kind is a contact's erasure (package erase).
package jobs
