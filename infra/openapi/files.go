package main

import (
	"fmt"
	"strings"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/envelope"
)

// Files are the generated files, by path under docs/.
func Files() (map[string][]byte, error) {
	doc, err := (&api.Server{}).Build().Document("")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"openapi.json": doc,
		"changelog.md": []byte(api.Changelog()),
		"events.md":    []byte(catalog()),
	}
	for _, t := range envelope.DeliveredTypes() {
		for _, v := range envelope.VersionNames() {
			s, ok := envelope.SchemaJSON(t, v)
			if !ok {
				return nil, fmt.Errorf("no schema for %s at %s", t, v)
			}
			files["schemas/"+v+"/"+t+".json"] = s
		}
	}
	return files, nil
}

// catalog is the event catalog in Markdown: every type, its data fields at each version.
func catalog() string {
	var b strings.Builder
	versions := envelope.VersionNames()
	b.WriteString("# Event catalog\n\n")
	b.WriteString("Generated from the code by `make openapi`; do not edit. Every event is a CloudEvents 1.0 JSON envelope\n")
	b.WriteString("(see [the subscriber guide](subscribers.md)) whose `data` holds the fields below. Absent values are omitted,\n")
	b.WriteString("never invented; events may carry fields not listed here (a sender's own), which consumers should ignore.\n")
	b.WriteString("JSON Schemas: `schemas/<version>/<type>.json`, and the `webhooks` section of [openapi.json](openapi.json).\n\n")
	fmt.Fprintf(&b, "Versions, oldest first: %s. The latest, `%s`, is what events are stored at and what a new\n", "`"+strings.Join(versions, "`, `")+"`", envelope.Latest())
	b.WriteString("subscription gets; see [the changelog](changelog.md).\n\n")
	b.WriteString("| type | what it means | sources |\n|---|---|---|\n")
	for _, d := range envelope.Catalog() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", d.Type, anchor(d.Type), d.Summary, d.Description)
	}
	for _, d := range envelope.Catalog() {
		fmt.Fprintf(&b, "\n## %s\n\n%s. %s\n\n", d.Type, d.Summary, d.Description)
		if len(d.Fields) == 0 {
			b.WriteString("`data` is the provider's own object, as it sent it.\n")
			continue
		}
		b.WriteString("| field | type | versions | meaning |\n|---|---|---|---|\n")
		for _, f := range d.Fields {
			in := "all"
			if f.Since != "" {
				in = f.Since + " on"
			}
			kind := f.Kind
			if f.Format != "" {
				kind += " (" + f.Format + ")"
			}
			req := ""
			if f.Required {
				req = " Always present."
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s%s |\n", f.Name, kind, in, subfields(f), req)
		}
	}
	return b.String()
}

func subfields(f Field) string {
	if len(f.Fields) == 0 {
		return f.Description
	}
	var parts []string
	for _, g := range f.Fields {
		parts = append(parts, "`"+g.Name+"`: "+g.Description)
	}
	return f.Description + " " + strings.Join(parts, "; ")
}

// Field is a catalog field.
type Field = envelope.Field

func anchor(t string) string { return strings.ReplaceAll(t, ".", "") }
