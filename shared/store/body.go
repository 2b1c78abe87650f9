package store

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrBadBody means a stored event body does not decode.
var ErrBadBody = errors.New("stored event body does not decode")

var bodyWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// EncodeBody is how an event's envelope and raw body are stored: one gzip stream of the
// envelope, a NUL byte and the raw body. One stream compresses better than two (the
// envelope repeats much of the raw body), and the item's size is what every write of it
// costs: the put, and the update that marks it processed. A JSON envelope holds no NUL byte.
func EncodeBody(envelope, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := bodyWriters.Get().(*gzip.Writer)
	defer bodyWriters.Put(zw)
	zw.Reset(&buf)
	for _, part := range [][]byte{envelope, {0}, raw} {
		if _, err := zw.Write(part); err != nil {
			return nil, fmt.Errorf("encode event body: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode event body: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeBody returns the envelope and the raw body (nil when there was none) EncodeBody
// stored.
func DecodeBody(body []byte) (envelope, raw []byte, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadBody, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadBody, err)
	}
	envelope, raw, ok := bytes.Cut(plain, []byte{0})
	if !ok {
		return nil, nil, fmt.Errorf("%w: no separator", ErrBadBody)
	}
	if len(raw) == 0 {
		raw = nil
	}
	return envelope, raw, nil
}

// gunzip decompresses a raw body stored gzipped on its own, as events were before bodies
// were stored whole.
func gunzip(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return b
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return b
	}
	return plain
}
