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
	// Version is the latest event version: the one events are stored at and new
	// subscriptions pin.
	Version string `json:"version"`
	// Versions are every dated version, oldest first.
	Versions []VersionInfo `json:"versions"`
}

// VersionInfo describes one dated version.
type VersionInfo struct {
	Name       string `json:"name" example:"2027-01-15"`
	Summary    string `json:"summary"`
	Deprecated string `json:"deprecated,omitempty" doc:"Deprecated since this date."`
	Sunset     string `json:"sunset,omitempty" doc:"May stop being served after this date."`
}

func (s *Server) registerEventTypes() {
	huma.Register(s.api, huma.Operation{
		OperationID: "list-event-types", Method: http.MethodGet, Path: "/v1/event-types",
		Summary: "List the canonical event types", Tags: []string{"Events"},
	}, func(ctx context.Context, _ *struct{}) (*Output[EventTypes], error) {
		var out EventTypes
		out.Version = envelope.Latest()
		for _, v := range envelope.Versions() {
			out.Versions = append(out.Versions, VersionInfo{Name: v.Name, Summary: v.Summary, Deprecated: v.Deprecated, Sunset: v.Sunset})
		}
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
