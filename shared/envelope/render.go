package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Render writes a stored envelope at version v, walking the chain of transforms up or down
// from the version it was stored at (an envelope without one is at the first version). An
// envelope already at v is returned as stored, byte for byte.
func Render(stored []byte, v string) ([]byte, error) {
	to := versionIndex(v)
	if to < 0 {
		return nil, fmt.Errorf("render at %q: %w", v, ErrUnknownVersion)
	}
	var env Envelope
	if err := json.Unmarshal(stored, &env); err != nil {
		return nil, fmt.Errorf("render %s: %w", v, err)
	}
	from := 0
	if env.EventVersion != "" {
		if from = versionIndex(env.EventVersion); from < 0 {
			return nil, fmt.Errorf("render %s stored at %q: %w", env.ID, env.EventVersion, ErrUnknownVersion)
		}
	}
	if from == to {
		return stored, nil
	}
	data, err := transform(env.Type, env.Data, from, to)
	if err != nil {
		return nil, fmt.Errorf("render %s at %s: %w", env.ID, v, err)
	}
	env.Data, env.EventVersion = data, v
	return json.Marshal(env)
}

// Upgrade brings data of type typ in the first version's shape (the canonical fields a
// provider's normalizer or a sender fills in) to the latest version: what ingest stores.
// Data that is not a JSON object is returned unchanged.
func Upgrade(typ string, data json.RawMessage) json.RawMessage {
	out, err := transform(typ, data, 0, len(versions)-1)
	if err != nil {
		return data
	}
	return out
}

// transform walks data from version index from to index to; data no step changes is
// returned as it was.
func transform(typ string, data json.RawMessage, from, to int) (json.RawMessage, error) {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return data, nil
	}
	o, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	changed := false
	for i := from + 1; i <= to; i++ {
		if up := versions[i].up; up != nil && up(typ, &o) {
			changed = true
		}
	}
	for i := from; i > to; i-- {
		if down := versions[i].down; down != nil && down(typ, &o) {
			changed = true
		}
	}
	if !changed {
		return data, nil
	}
	return o.MarshalJSON()
}
