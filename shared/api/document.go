package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/wedsync/webhooks/shared/envelope"
)

// DefaultServers are the servers of the committed document (docs/openapi.json): a
// deployment's API Gateway URL and the local stack. The served document names
// WEDSYNC_PUBLIC_URL instead when it is set.
var DefaultServers = []map[string]any{
	{"url": "https://{apiId}.execute-api.{region}.amazonaws.com", "description": "Your deployment: the stack's ApiUrl output.",
		"variables": map[string]any{
			"apiId":  map[string]any{"default": "abc123defg", "description": "The HTTP API's id."},
			"region": map[string]any{"default": "eu-west-1", "description": "The AWS region it is deployed to."},
		}},
	{"url": "http://127.0.0.1:3000", "description": "The local stack (make dev)."},
}

var tagDocs = []map[string]any{
	{"name": "API keys", "description": "Bearer keys of the tenant; each is shown once, on create."},
	{"name": "Connections", "description": "Providers pointed at WedSync: each has an ingest URL and verifies its provider's signatures."},
	{"name": "Subscriptions", "description": "Endpoints that receive the tenant's events, signed with Standard Webhooks, at their pinned event version."},
	{"name": "Events", "description": "Normalized events as stored, the catalog of types, and replays."},
	{"name": "Deliveries", "description": "One delivery per event and subscription, with its attempts; retries and recoveries."},
	{"name": "Versions", "description": "Dated versions of events and of the answers that carry them."},
	{"name": "Delivered events", "description": "What an endpoint receives: a POST of the event rendered at the subscription's event version."},
}

// errorResponses are the 4xx answers the document names, with when they apply.
var errorResponses = []struct {
	status  int
	name    string
	code    string
	message string
	applies func(method, path string, hasBody bool) bool
}{
	{400, "BadRequest", "INVALID_JSON", "the body is not valid JSON", func(_, _ string, body bool) bool { return body }},
	{401, "Unauthorized", "UNAUTHORIZED", "missing or invalid API key", func(string, string, bool) bool { return true }},
	{404, "NotFound", "NOT_FOUND", "subscription not found", func(_, path string, _ bool) bool { return strings.Contains(path, "{id}") }},
	{409, "Conflict", "CONFLICT", "the Idempotency-Key was used with a different request", func(method, _ string, _ bool) bool { return method != "get" }},
	{413, "PayloadTooLarge", "PAYLOAD_TOO_LARGE", "the body is over 65536 bytes", func(_, _ string, body bool) bool { return body }},
	{422, "ValidationFailed", "VALIDATION_FAILED", "validation failed", func(string, string, bool) bool { return true }},
	{429, "RateLimited", "RATE_LIMITED", "too many requests; retry after a second", func(string, string, bool) bool { return true }},
}

// Document is the OpenAPI 3.1 document of the API: the operations huma describes, with
// every operation's 4xx answers, headers and example request, the outgoing events under
// webhooks with their JSON Schemas per version, servers and license. publicURL, when set,
// is the only server; else DefaultServers. The same code writes docs/openapi.json (make
// openapi) and serves GET /v1/openapi.json.
func (s *Server) Document(publicURL string) ([]byte, error) {
	raw, err := json.Marshal(s.api.OpenAPI())
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	info := doc["info"].(map[string]any)
	info["description"] = apiDescription
	info["license"] = map[string]any{"name": "Proprietary", "identifier": "LicenseRef-WedSync-Proprietary"}
	if publicURL != "" {
		doc["servers"] = []map[string]any{{"url": strings.TrimSuffix(publicURL, "/"), "description": "This deployment."}}
	} else {
		doc["servers"] = DefaultServers
	}
	doc["tags"] = tagDocs
	comps := doc["components"].(map[string]any)
	comps["parameters"] = parameterComponents()
	comps["headers"] = headerComponents()
	schemas := comps["schemas"].(map[string]any)
	for _, t := range envelope.DeliveredTypes() {
		for _, v := range envelope.VersionNames() {
			sch, _ := envelope.Schema(t, v)
			schemas[eventSchemaName(t, v)] = sch
		}
	}
	paths := doc["paths"].(map[string]any)
	used := map[string]bool{}
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			documentOperation(method, path, op.(map[string]any), used)
		}
	}
	comps["responses"] = responseComponents(used)
	paths[ChangelogPath] = changelogPathItem()
	doc["webhooks"] = webhooks()
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

const apiDescription = "Connections, subscriptions and events of one tenant, chosen by the bearer API key.\n\n" +
	"Answers are `{\"success\": true, \"data\": …}` or `{\"success\": false, \"error\": {\"code\", \"message\", \"details\", \"request_id\"}}`. " +
	"Writes accept an `Idempotency-Key` (kept 24 hours per tenant and route). Lists page with `next_cursor`.\n\n" +
	"Versions: the path carries the major version (`/v1`); events carry a dated `eventversion`. A `WedSync-Version` request header " +
	"selects the dated shape of answers that carry events (default: the latest); a deprecated version is answered with `Deprecation`, " +
	"`Sunset` and a `Link` to the changelog (`GET /v1/changelog`). Each subscription pins an event version and receives every event " +
	"rendered at it; the `webhooks` section lists every event type an endpoint can receive, with its schema at each version."

// documentOperation adds an operation's headers, 4xx answers (noting in used the answers it
// refers to) and example request (from examples; the replay test fails on an operation
// without one).
func documentOperation(method, path string, op map[string]any, used map[string]bool) {
	id, _ := op["operationId"].(string)
	ex := examples[id]
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p := p.(map[string]any)
		if v, ok := ex.Params[p["name"].(string)]; ok {
			p["example"] = v
		}
	}
	params = append(params, ref("parameters", "WedSyncVersion"))
	if method != "get" {
		params = append(params, ref("parameters", "IdempotencyKey"))
	}
	op["parameters"] = params
	body, hasBody := op["requestBody"].(map[string]any)
	if hasBody && ex.Body != nil {
		media := body["content"].(map[string]any)["application/json"].(map[string]any)
		media["example"] = ex.Body
	}
	responses := op["responses"].(map[string]any)
	for _, e := range errorResponses {
		code := fmt.Sprint(e.status)
		if _, ok := responses[code]; !ok && e.applies(method, path, hasBody) {
			responses[code] = ref("responses", e.name)
			used[e.name] = true
		}
	}
	for code, r := range responses {
		if strings.HasPrefix(code, "2") {
			r := r.(map[string]any)
			r["headers"] = map[string]any{"WedSync-Version": ref("headers", "WedSyncVersion"),
				"Deprecation": ref("headers", "Deprecation"), "Sunset": ref("headers", "Sunset"), "Link": ref("headers", "Link")}
		}
	}
}

func ref(kind, name string) map[string]any {
	return map[string]any{"$ref": "#/components/" + kind + "/" + name}
}

func eventSchemaName(t, v string) string { return "Event." + t + "." + v }

func parameterComponents() map[string]any {
	return map[string]any{
		"WedSyncVersion": map[string]any{"name": "WedSync-Version", "in": "header", "required": false,
			"description": "The dated version of the answer's shape; the latest when absent. A deprecated version is answered with Deprecation, Sunset and Link headers.",
			"schema":      map[string]any{"type": "string", "enum": envelope.VersionNames()}, "example": envelope.Latest()},
		"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "Makes the write safe to repeat: a repeat within 24 hours gets the first answer; the same key with another body is 409.",
			"schema":      map[string]any{"type": "string", "maxLength": 255}, "example": "3f1c9a52-7d0e-4b8e-9a61-1d2f0c7b4e11"},
		"WebhookID": map[string]any{"name": "webhook-id", "in": "header", "required": true,
			"description": "The message id: the same on every attempt and replay of this event to this subscription; deduplicate on it.",
			"schema":      map[string]any{"type": "string", "pattern": "^msg_"}, "example": "msg_5n2k7q4w9x3c8v6b1m0z4r7t2y"},
		"WebhookTimestamp": map[string]any{"name": "webhook-timestamp", "in": "header", "required": true,
			"description": "The attempt's time, Unix seconds; refuse timestamps more than 5 minutes away from your clock.",
			"schema":      map[string]any{"type": "string", "pattern": "^[0-9]+$"}, "example": "1795600800"},
		"WebhookSignature": map[string]any{"name": "webhook-signature", "in": "header", "required": true,
			"description": "Space-separated `v1,<base64>` signatures: HMAC-SHA256 with the subscription's secret over `webhook-id.webhook-timestamp.body`. Two during the 24 hours after a rotation.",
			"schema":      map[string]any{"type": "string"}, "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
	}
}

func headerComponents() map[string]any {
	return map[string]any{
		"WedSyncVersion": map[string]any{"description": "The dated version the answer is shaped at.", "schema": map[string]any{"type": "string"}},
		"Deprecation": map[string]any{"description": "Only when the requested version is deprecated: when it was deprecated (RFC 9745), e.g. @1800000000.",
			"schema": map[string]any{"type": "string"}},
		"Sunset": map[string]any{"description": "Only when the requested version is deprecated: after when it may stop being served (RFC 8594), an HTTP date.",
			"schema": map[string]any{"type": "string"}},
		"Link": map[string]any{"description": "Only when the requested version is deprecated: the changelog, rel=\"deprecation\".",
			"schema": map[string]any{"type": "string"}},
		"RetryAfter": map[string]any{"description": "Seconds to wait before trying again.", "schema": map[string]any{"type": "integer"}},
	}
}

// responseComponents are the error answers some operation refers to.
func responseComponents(used map[string]bool) map[string]any {
	out := map[string]any{}
	for _, e := range errorResponses {
		if !used[e.name] {
			continue
		}
		example := map[string]any{"success": false, "error": map[string]any{"code": e.code, "message": e.message, "request_id": "req_a1b2c3d4e5f6g7h8i9j0"}}
		if e.status == http.StatusUnprocessableEntity {
			example["error"].(map[string]any)["details"] = map[string]any{"event_version": "supported versions: " + strings.Join(envelope.VersionNames(), ", ")}
		}
		r := map[string]any{"description": http.StatusText(e.status) + " (" + e.code + ")",
			"content": map[string]any{"application/json": map[string]any{"schema": ref("schemas", "Error"), "example": example}}}
		if e.status == http.StatusTooManyRequests {
			r["headers"] = map[string]any{"Retry-After": ref("headers", "RetryAfter")}
		}
		out[e.name] = r
	}
	return out
}

// webhooks lists every event type an endpoint may receive, with its schema at each version.
func webhooks() map[string]any {
	out := map[string]any{}
	for _, doc := range envelope.Catalog() {
		var oneOf []any
		examples := map[string]any{}
		stored, _ := json.Marshal(doc.ExampleEnvelope())
		for _, v := range slices.Backward(envelope.VersionNames()) {
			oneOf = append(oneOf, ref("schemas", eventSchemaName(doc.Type, v)))
			rendered, _ := envelope.Render(stored, v)
			var value any
			_ = json.Unmarshal(rendered, &value)
			examples[v] = map[string]any{"summary": "At version " + v, "value": value}
		}
		out[doc.Type] = map[string]any{"post": map[string]any{
			"operationId": "deliver-" + doc.Type,
			"summary":     doc.Summary,
			"description": doc.Description + "\n\nPOSTed to each active subscription whose event_types match, rendered at its event version; verify the signature over the raw body before parsing it.",
			"tags":        []string{"Delivered events"},
			"security":    []any{},
			"parameters":  []any{ref("parameters", "WebhookID"), ref("parameters", "WebhookTimestamp"), ref("parameters", "WebhookSignature")},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"oneOf": oneOf}, "examples": examples}}},
			"responses": map[string]any{
				"200": map[string]any{"description": "Any 2xx answer within 15 seconds acknowledges the delivery."},
				"410": map[string]any{"description": "Gone: the subscription is disabled at once."},
				"429": map[string]any{"description": "Too many requests (as 503): the next attempt waits at least Retry-After.",
					"headers": map[string]any{"Retry-After": ref("headers", "RetryAfter")}},
			},
		}}
	}
	return out
}
