package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPI: the served document is OpenAPI 3.1, validates, and lists every operation the
// router serves; each of those answers (not a routing 404) at its documented path.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.url + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/openapi.json without a key: %d", resp.StatusCode)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	served := 0
	for path, item := range e.server.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PATCH": item.Patch, "PUT": item.Put, "DELETE": item.Delete} {
			if op == nil {
				continue
			}
			if doc.Paths.Find(path) == nil || doc.Paths.Find(path).GetOperation(method) == nil {
				t.Errorf("%s %s is served but not documented", method, path)
			}
			if op.Security == nil && len(doc.Security) == 0 {
				t.Errorf("%s %s has no security requirement", method, path)
			}
			a := e.call(method, strings.ReplaceAll(path, "{id}", "x")+"?subscription_id=x", keyA, bodyFor(method, map[string]any{}))
			if a.status == 404 && a.Error.Message == "no such route" || a.status == 405 {
				t.Errorf("%s %s is documented but not routed: %d %s", method, path, a.status, a.raw)
			}
			served++
		}
	}
	if served < 14 {
		t.Fatalf("only %d operations documented", served)
	}
}
