package api

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/webhooks/shared/envelope"
)

// ChangelogPath serves the changelog of the dated versions, the page a deprecated
// version's Link header names.
const ChangelogPath = "/v1/changelog"

// Changelog is the changelog of the dated versions in Markdown, newest first: what each
// changed, and when the deprecated ones are deprecated and sunset. docs/changelog.md is
// this text (make openapi).
func Changelog() string {
	var b strings.Builder
	b.WriteString("# Changelog\n\n")
	b.WriteString("Events and the management API answers that carry them are versioned by date. Events are stored at the latest\n")
	b.WriteString("version and rendered at each subscription's pinned `event_version`; `WedSync-Version` selects the version of\n")
	b.WriteString("an answer. The latest version is " + "`" + envelope.Latest() + "`.\n")
	for _, v := range slices.Backward(envelope.Versions()) {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", v.Name, v.Summary)
		for _, c := range v.Changes {
			b.WriteString("- " + c + "\n")
		}
		if v.Deprecated != "" {
			fmt.Fprintf(&b, "\nDeprecated since %s; sunset after %s. Requests with `WedSync-Version: %s` are answered with\n", v.Deprecated, v.Sunset, v.Name)
			b.WriteString("`Deprecation`, `Sunset` and `Link: <…/v1/changelog>; rel=\"deprecation\"`. Subscriptions pinned to it keep\n")
			b.WriteString("receiving it; move them with `PATCH /v1/subscriptions/{id}` and `{\"event_version\": \"" + envelope.Latest() + "\"}`.\n")
		}
	}
	return b.String()
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// changelogHTML is the changelog as a page, one section per version (its id the version).
func changelogHTML() string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>WedSync Webhooks changelog</title></head><body>\n")
	for _, line := range strings.Split(Changelog(), "\n") {
		text := codeSpan.ReplaceAllString(html.EscapeString(line), "<code>$1</code>")
		switch {
		case strings.HasPrefix(line, "# "):
			b.WriteString("<h1>" + text[2:] + "</h1>\n")
		case strings.HasPrefix(line, "## "):
			fmt.Fprintf(&b, "<h2 id=%q>%s</h2>\n", line[3:], text[3:])
		case strings.HasPrefix(line, "- "):
			b.WriteString("<li>" + text[2:] + "</li>\n")
		case line != "":
			b.WriteString("<p>" + text + "</p>\n")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func (s *Server) serveChangelog(w http.ResponseWriter) {
	w.Header().Set("content-type", "text/html; charset=utf-8")
	w.Header().Set("cache-control", "public, max-age=3600")
	_, _ = w.Write([]byte(changelogHTML()))
}

func changelogPathItem() map[string]any {
	return map[string]any{"get": map[string]any{
		"operationId": "get-changelog",
		"summary":     "The changelog of the dated versions",
		"description": "An HTML page, one section per version (anchored by its date); deprecated versions' Link headers point here. No API key needed.",
		"tags":        []string{"Versions"},
		"security":    []any{},
		"responses": map[string]any{
			"200": map[string]any{"description": "OK", "content": map[string]any{"text/html": map[string]any{
				"schema": map[string]any{"type": "string"}, "example": "<!doctype html>…"}}},
			"405": map[string]any{"description": "Method not allowed (only GET)"},
		},
	}}
}

// deprecationHeaders are a deprecated version's Deprecation (RFC 9745), Sunset (RFC 8594)
// and Link headers, the link to the changelog under base.
func deprecationHeaders(h http.Header, v envelope.DatedVersion, base string) {
	if v.Deprecated == "" {
		return
	}
	if t, err := time.Parse(time.DateOnly, v.Deprecated); err == nil {
		h.Set("deprecation", fmt.Sprintf("@%d", t.Unix()))
	}
	if t, err := time.Parse(time.DateOnly, v.Sunset); err == nil {
		h.Set("sunset", t.UTC().Format(http.TimeFormat))
	}
	h.Set("link", fmt.Sprintf("<%s%s#%s>; rel=\"deprecation\"; type=\"text/html\"", base, ChangelogPath, v.Name))
}
