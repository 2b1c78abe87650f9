package connectors

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxCacheEntries bounds a client's GET cache.
const MaxCacheEntries = 256

// cache answers a GET it answered within ttl from memory, without calling the provider (nor
// taking a rate-limit slot). Only 200 answers are kept, unless they say no-store.
type cache struct {
	ttl   time.Duration
	clock Clock
	next  http.RoundTripper

	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	header  http.Header
	body    []byte
	expires time.Time
}

func (c *cache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || c.ttl <= 0 {
		return c.next.RoundTrip(req)
	}
	key := req.URL.String()
	now := c.clock.Now()
	c.mu.Lock()
	e, hit := c.entries[key]
	c.mu.Unlock()
	if hit && now.Before(e.expires) {
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: e.header.Clone(), Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)), Request: req,
		}, nil
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || strings.Contains(resp.Header.Get("cache-control"), "no-store") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cached{}
	}
	if len(c.entries) >= MaxCacheEntries {
		c.evict(now)
	}
	c.entries[key] = cached{header: resp.Header.Clone(), body: body, expires: now.Add(c.ttl)}
	return resp, nil
}

// evict drops the expired entries, or every entry when none has expired.
func (c *cache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= MaxCacheEntries {
		clear(c.entries)
	}
}
