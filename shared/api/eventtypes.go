package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/envelope"
)

// EventType describes one type of the catalog.
type EventType struct {
	Type string `json:"type"`
	// Postable says whether custom and Zapier senders may post it.
	Postable bool `json:"postable"`
}

// EventTypes is the catalog.
type EventTypes struct {
	EventTypes []EventType `json:"event_types"`
	// Version is the event version new envelopes are rendered at.
	Version string `json:"version"`
}

func (s *Server) registerEventTypes() {
	huma.Register(s.api, huma.Operation{
		OperationID: "list-event-types", Method: http.MethodGet, Path: "/v1/event-types",
		Summary: "List the canonical event types", Tags: []string{"Events"},
	}, func(ctx context.Context, _ *struct{}) (*Output[EventTypes], error) {
		var out EventTypes
		out.Version = envelope.Version
		for _, t := range envelope.AllTypes() {
			out.EventTypes = append(out.EventTypes, EventType{Type: t, Postable: envelope.IsSenderType(t)})
		}
		slices.SortFunc(out.EventTypes, func(a, b EventType) int {
			if a.Type < b.Type {
				return -1
			}
			return 1
		})
		return ok(out), nil
	})
}
