package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wedsync/webhooks/shared/api"
)

// operation is one operation of the committed document.
type operation struct {
	path, method string
	op           map[string]any
}

// rank orders the replay: creations first, then the test event (which makes an event and
// a delivery), reads, changes, and removals last.
func (o operation) rank() int {
	id, _ := o.op["operationId"].(string)
	switch {
	case o.method == "post" && !strings.Contains(o.path, "{id}"):
		return 0
	case id == "test-subscription":
		return 1
	case o.method == "get":
		return 2
	case o.method == "delete" || id == "revoke-api-key":
		return 4
	}
	return 3
}

var exampleID = regexp.MustCompile(`\b(key|conn|sub|evt|dlv|job)_[a-z0-9]+`)

// TestOpenAPIExamplesReplay: every example request of docs/openapi.json is sent to the
// API in turn (its example ids replaced by the resources the earlier examples made), each
// answers a documented 2xx, and each answer validates against its documented schema.
func TestOpenAPIExamplesReplay(t *testing.T) {
	e := newEnv(t)
	raw, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.AssertFormat()
	const docURL = "file:///openapi.json"
	if err := compiler.AddResource(docURL, parsed); err != nil {
		t.Fatal(err)
	}
	var ops []operation
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			ops = append(ops, operation{path: path, method: method, op: op.(map[string]any)})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int {
		if a.rank() != b.rank() {
			return a.rank() - b.rank()
		}
		return strings.Compare(a.path+a.method, b.path+b.method)
	})
	ids := map[string]string{}
	real := func(s string) string {
		return exampleID.ReplaceAllStringFunc(s, func(m string) string {
			if id, ok := ids[m[:strings.Index(m, "_")]]; ok {
				return id
			}
			return m
		})
	}
	for _, o := range ops {
		id := o.op["operationId"].(string)
		path, query := o.path, url.Values{}
		params, _ := o.op["parameters"].([]any)
		for _, p := range params {
			p := p.(map[string]any)
			if _, isRef := p["$ref"]; isRef || p["example"] == nil {
				continue
			}
			v := real(fmt.Sprint(p["example"]))
			switch p["in"] {
			case "path":
				path = strings.ReplaceAll(path, "{"+p["name"].(string)+"}", v)
			case "query":
				query.Set(p["name"].(string), v)
			}
		}
		if strings.Contains(path, "{") {
			t.Fatalf("%s: a path parameter has no example: %s", id, path)
		}
		var body io.Reader
		if rb, ok := o.op["requestBody"].(map[string]any); ok {
			example, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)["example"]
			if !ok {
				t.Fatalf("%s: the request body has no example", id)
			}
			b, _ := json.Marshal(example)
			body = strings.NewReader(real(string(b)))
		}
		target := e.url + path
		if len(query) > 0 {
			target += "?" + query.Encode()
		}
		req, _ := http.NewRequest(strings.ToUpper(o.method), target, body)
		if body != nil {
			req.Header.Set("content-type", "application/json")
		}
		if sec, ok := o.op["security"].([]any); !ok || len(sec) > 0 {
			req.Header.Set("authorization", "Bearer "+keyA)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status := fmt.Sprint(resp.StatusCode)
		t.Logf("%s %s -> %s", strings.ToUpper(o.method), target, status)
		documented, ok := o.op["responses"].(map[string]any)[status].(map[string]any)
		if !ok || resp.StatusCode >= 300 {
			t.Errorf("%s %s: %s %s (documented: %v)", o.method, target, status, got, ok)
			continue
		}
		content := documented["content"].(map[string]any)
		if _, isJSON := content["application/json"]; !isJSON {
			if !strings.HasPrefix(resp.Header.Get("content-type"), "text/html") || len(got) == 0 {
				t.Errorf("%s: %s answered %q", id, resp.Header.Get("content-type"), got)
			}
			continue
		}
		pointer := "/paths/" + escape(o.path) + "/" + o.method + "/responses/" + status + "/content/application~1json/schema"
		sch, err := compiler.Compile(docURL + "#" + url.PathEscape(pointer))
		if err != nil {
			t.Fatalf("%s: compile %s: %v", id, pointer, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("%s: answer %s: %v", id, got, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: the answer does not validate against its schema: %v\n%s", id, err, got)
		}
		var answer struct {
			Data struct {
				ID      string `json:"id"`
				EventID string `json:"event_id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(got, &answer)
		for _, v := range []string{answer.Data.ID, answer.Data.EventID} {
			if m := exampleID.FindString(v); m == v && v != "" {
				if prefix := v[:strings.Index(v, "_")]; ids[prefix] == "" {
					ids[prefix] = v
				}
			}
		}
	}
	if len(ops) < 25 {
		t.Fatalf("only %d operations replayed", len(ops))
	}
	for _, prefix := range []string{"key", "conn", "sub", "evt", "dlv", "job"} {
		if ids[prefix] == "" {
			t.Errorf("no %s_ resource made by the examples", prefix)
		}
	}
}

func escape(path string) string {
	return strings.ReplaceAll(strings.ReplaceAll(path, "~", "~0"), "/", "~1")
}

// TestServedDocument: GET /v1/openapi.json answers, without a key, the generated document
// with WEDSYNC_PUBLIC_URL as its only server; apart from servers it is docs/openapi.json.
func TestServedDocument(t *testing.T) {
	srv := httptest.NewServer((&api.Server{PublicURL: "https://api.lumiere.example/"}).Build())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	committed, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(served, &a) != nil || json.Unmarshal(committed, &b) != nil {
		t.Fatalf("GET /v1/openapi.json: %d", resp.StatusCode)
	}
	if got, _ := json.Marshal(a["servers"]); string(got) != `[{"description":"This deployment.","url":"https://api.lumiere.example"}]` {
		t.Errorf("servers %s", got)
	}
	delete(a, "servers")
	delete(b, "servers")
	if !reflect.DeepEqual(a, b) {
		t.Error("the served document differs from docs/openapi.json beyond servers")
	}
}
