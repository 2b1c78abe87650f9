// Package providers lists every provider ingest knows, in one explicit registry.
package providers
