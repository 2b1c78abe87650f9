package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// member is one key and its raw value in a JSON object.
type member struct {
	key string
	val json.RawMessage
}

// object is a JSON object that keeps its members' order and their bytes, so a transform
// changes only the members it touches.
type object []member

// errNotObject says a value is not a JSON object.
var errNotObject = errors.New("not a JSON object")

func decodeObject(raw []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	var o object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("member %q: %w", key, err)
		}
		o.set(key, val)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o object) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

// str is the member's value when it is a JSON string.
func (o object) str(key string) string {
	raw, ok := o.get(key)
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// set replaces the member's value in place, or appends the member.
func (o *object) set(key string, val json.RawMessage) {
	for i := range *o {
		if (*o)[i].key == key {
			(*o)[i].val = val
			return
		}
	}
	*o = append(*o, member{key: key, val: val})
}

func (o *object) setValue(key string, v any) {
	b, _ := json.Marshal(v)
	o.set(key, b)
}

func (o *object) remove(key string) {
	*o = slices.DeleteFunc(*o, func(m member) bool { return m.key == key })
}

// MarshalJSON writes the members in order, their values as they were.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		var compact bytes.Buffer
		if err := json.Compact(&compact, m.val); err != nil {
			return nil, fmt.Errorf("member %q: %w", m.key, err)
		}
		b.Write(compact.Bytes())
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
