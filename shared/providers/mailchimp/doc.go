// Package mailchimp accepts Mailchimp marketing webhooks. Mailchimp signs nothing: the
// connection's URL carries a 32-byte key (?key=), compared in constant time and never
// logged. Bodies are form-encoded (type, fired_at, data[...]); GET is Mailchimp's URL check.
package mailchimp
