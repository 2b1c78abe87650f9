// Package ingest answers providers' webhooks: it checks method, connection, size and media
// type, has the provider verify and normalize the raw body, then stores each event and
// queues its key, answering 2xx only once both are done.
package ingest
