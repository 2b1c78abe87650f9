// Package zapier accepts events from Zaps. Zapier signs nothing: the Zap sends the
// connection's secret as a bearer token or an X-Api-Key header, and a body in our catalog.
package zapier
