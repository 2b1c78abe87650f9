// Package reactions turns events into the work they call for — a confirmation e-mail, a
// supplier notification, a calendar block, a refund — as derived events with deterministic
// ids, so a redelivered parent never yields a second child. Events that come from a sync
// or a replay, and derived events themselves, trigger nothing.
package reactions
