// Package act is the worker that runs command events through the providers' APIs with the
// tenant's outbound credentials: payment.refund as a Stripe refund (stripe-go on the
// connectors client stack), email.send through Mandrill (looking a receipt's recipient up
// in Stripe when it has none), integration.sync as Calendly's initial import of bookings,
// notification.send to the tenant's Zapier catch hook. Each command runs once in effect
// under a leased action record and ends as a command.succeeded or command.failed event.
package act
