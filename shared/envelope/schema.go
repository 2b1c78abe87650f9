package envelope

import (
	"encoding/json"
	"fmt"
	"slices"
)

// SchemaDialect is the JSON Schema dialect of Schema's documents (OpenAPI 3.1's own).
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// Schema is the JSON Schema of events of type t rendered at version v: the envelope, closed,
// and its data, open to fields the catalog does not name (a sender's own) but refusing the
// fields other versions added or removed. ok is false for a type or version the catalog
// does not know.
func Schema(t, v string) (schema map[string]any, ok bool) {
	doc, known := LookupType(t)
	if !known || !IsSupported(v) {
		return nil, false
	}
	str := map[string]any{"type": "string"}
	origins := []string{OriginProvider, OriginReaction, OriginSync, OriginReplay}
	return map[string]any{
		"title":       fmt.Sprintf("%s (%s)", t, v),
		"description": doc.Summary + ". " + doc.Description,
		"type":        "object",
		"required": []string{"specversion", "id", "type", "source", "time", "datacontenttype", "tenantid", "connectionid",
			"provider", "correlationid", "origin", "eventversion", "data"},
		"additionalProperties": false,
		"properties": map[string]any{
			"specversion":     map[string]any{"const": SpecVersion},
			"id":              map[string]any{"type": "string", "pattern": "^evt_[a-z2-7]{26}$", "description": "Deterministic event id; the same provider event always has the same id."},
			"type":            map[string]any{"const": t},
			"source":          map[string]any{"type": "string", "pattern": "^wedsync/", "description": "wedsync/<provider>, wedsync/reactions or wedsync/platform."},
			"time":            map[string]any{"type": "string", "format": "date-time", "description": "When it happened, RFC 3339 UTC."},
			"datacontenttype": map[string]any{"const": "application/json"},
			"tenantid":        str,
			"connectionid":    map[string]any{"type": "string", "description": "The connection it came through; empty for platform events."},
			"provider":        map[string]any{"type": "string", "enum": []string{"stripe", "paypal", "mailchimp", "mandrill", "calendly", "zapier", "custom", "wedsync"}},
			"providereventid": map[string]any{"type": "string", "description": "The provider's own event id."},
			"providertype":    map[string]any{"type": "string", "description": "The provider's own event type."},
			"correlationid":   map[string]any{"type": "string", "description": "The root event's id, shared by every event derived from it."},
			"causationid":     map[string]any{"type": "string", "description": "The parent event's id, on derived events."},
			"origin":          map[string]any{"type": "string", "enum": origins},
			"eventversion":    map[string]any{"const": v},
			"data":            dataSchema(doc, v),
		},
	}, true
}

// SchemaJSON is Schema as an indented JSON document with its dialect.
func SchemaJSON(t, v string) ([]byte, bool) {
	s, ok := Schema(t, v)
	if !ok {
		return nil, false
	}
	s["$schema"] = SchemaDialect
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, false
	}
	return append(b, '\n'), true
}

func dataSchema(doc TypeDoc, v string) map[string]any {
	props := map[string]any{}
	var required []string
	at := doc.FieldsAt(v)
	for _, f := range at {
		props[f.Name] = fieldSchema(f)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	for _, f := range doc.Fields {
		if !slices.ContainsFunc(at, func(g Field) bool { return g.Name == f.Name }) {
			props[f.Name] = map[string]any{"not": map[string]any{}, "description": "Not in version " + v + " (since " + f.Since + ")."}
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": true}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func fieldSchema(f Field) map[string]any {
	s := map[string]any{"type": f.Kind}
	if f.Description != "" {
		s["description"] = f.Description
	}
	if f.Format != "" {
		s["format"] = f.Format
	}
	if f.Pattern != "" {
		s["pattern"] = f.Pattern
	}
	if f.Values != "" {
		s["additionalProperties"] = map[string]any{"type": f.Values}
	}
	if len(f.Fields) > 0 {
		props := map[string]any{}
		for _, g := range f.Fields {
			props[g.Name] = fieldSchema(g)
		}
		s["properties"] = props
	}
	return s
}
