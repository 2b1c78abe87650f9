package erase

import (
	"bytes"
	"compress/gzip"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// gzipMagic starts every gzip stream: events store their envelope and raw body as one.
var gzipMagic = []byte{0x1f, 0x8b}

// value returns v with the address redacted wherever it is, and whether it changed: strings
// and binary values (gunzipped and gzipped again when they are gzip), inside lists, maps
// and sets. Numbers and booleans hold no address.
func (m *Matcher) value(v types.AttributeValue) (types.AttributeValue, bool, error) {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		out, changed := m.Redact([]byte(x.Value))
		return &types.AttributeValueMemberS{Value: string(out)}, changed, nil
	case *types.AttributeValueMemberB:
		out, changed, err := m.binary(x.Value)
		return &types.AttributeValueMemberB{Value: out}, changed, err
	case *types.AttributeValueMemberSS:
		out, hit := make([]string, len(x.Value)), false
		for i, s := range x.Value {
			b, changed := m.Redact([]byte(s))
			out[i], hit = string(b), hit || changed
		}
		return &types.AttributeValueMemberSS{Value: out}, hit, nil
	case *types.AttributeValueMemberBS:
		out, hit := make([][]byte, len(x.Value)), false
		for i, b := range x.Value {
			r, changed, err := m.binary(b)
			if err != nil {
				return v, false, err
			}
			out[i], hit = r, hit || changed
		}
		return &types.AttributeValueMemberBS{Value: out}, hit, nil
	case *types.AttributeValueMemberL:
		out, hit := make([]types.AttributeValue, len(x.Value)), false
		for i, e := range x.Value {
			r, changed, err := m.value(e)
			if err != nil {
				return v, false, err
			}
			out[i], hit = r, hit || changed
		}
		return &types.AttributeValueMemberL{Value: out}, hit, nil
	case *types.AttributeValueMemberM:
		out, hit := make(map[string]types.AttributeValue, len(x.Value)), false
		for k, e := range x.Value {
			r, changed, err := m.value(e)
			if err != nil {
				return v, false, err
			}
			out[k], hit = r, hit || changed
		}
		return &types.AttributeValueMemberM{Value: out}, hit, nil
	}
	return v, false, nil
}

// binary redacts a binary value; a gzip stream is redacted inside and compressed again.
func (m *Matcher) binary(b []byte) ([]byte, bool, error) {
	if !bytes.HasPrefix(b, gzipMagic) {
		out, changed := m.Redact(b)
		return out, changed, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		out, changed := m.Redact(b)
		return out, changed, nil
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		out, changed := m.Redact(b)
		return out, changed, nil
	}
	out, changed := m.Redact(plain)
	if !changed {
		return b, false, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(out); err != nil {
		return nil, false, err
	}
	if err := zw.Close(); err != nil {
		return nil, false, err
	}
	return buf.Bytes(), true, nil
}
