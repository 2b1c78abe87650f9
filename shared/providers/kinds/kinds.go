// Package kinds is the one list of the providers we take webhooks from. The topology makes
// an ingest function and route of each, the management API takes each as a connection kind,
// and a test holds the provider registry and the README's table to it. It imports nothing,
// so any package may read it.
package kinds

// all is the list, in the order the API and the docs name them.
var all = []string{"stripe", "paypal", "mailchimp", "mandrill", "calendly", "zapier", "custom"}

// All returns every provider kind. Adding a provider means adding it here, to the registry
// (shared/providers) and as functions/ingest-<kind>/main.go.
func All() []string { return append([]string(nil), all...) }
