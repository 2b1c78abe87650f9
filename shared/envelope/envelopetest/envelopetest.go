// Package envelopetest validates events against the JSON Schemas of their type and
// version, for the tests of every package that makes or delivers events.
package envelopetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wedsync/webhooks/shared/envelope"
)

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// Check validates one event (a JSON envelope) against the schema of its type at its
// eventversion, and returns why it does not.
func Check(raw []byte) error {
	var head struct {
		Type         string `json:"type"`
		EventVersion string `json:"eventversion"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("not an event: %w", err)
	}
	sch, err := schemaOf(head.Type, head.EventVersion)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s at %s: %w", head.Type, head.EventVersion, err)
	}
	return nil
}

// Validate fails t unless every event validates against its schema.
func Validate(t testing.TB, events ...[]byte) {
	t.Helper()
	for _, raw := range events {
		if err := Check(raw); err != nil {
			t.Errorf("event does not validate: %v\n%s", err, raw)
		}
	}
}

func schemaOf(typ, version string) (*jsonschema.Schema, error) {
	key := typ + "@" + version
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[key]; ok {
		return s, nil
	}
	doc, ok := envelope.SchemaJSON(typ, version)
	if !ok {
		return nil, fmt.Errorf("no schema for type %q at version %q", typ, version)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "urn:wedsync:schema:" + key
	if err := c.AddResource(url, parsed); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile the schema of %s: %w", key, err)
	}
	compiled[key] = s
	return s, nil
}
