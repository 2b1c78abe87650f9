// Package custom verifies webhooks from suppliers' own systems (CRMs, booking systems),
// signed with Standard Webhooks, whose bodies already speak our canonical catalog.
package custom
