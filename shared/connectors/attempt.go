package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// MaxBody bounds an answer's body; a longer one fails the attempt.
const MaxBody = 4 << 20

// errAttemptTimeout marks an attempt that ran out of its own time (not the caller's).
var errAttemptTimeout = errors.New("attempt timed out")

// errBodyTooLarge marks an answer over MaxBody.
var errBodyTooLarge = errors.New("answer body over the limit")

// attempt runs one try under its own deadline and reads the whole answer, so that the
// deadline covers the body and ends with the try.
type attempt struct {
	timeout time.Duration
	next    http.RoundTripper
}

func (a attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), a.timeout)
	defer cancel()
	resp, err := a.next.RoundTrip(req.WithContext(ctx))
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
		resp.Body.Close()
		if err == nil && len(body) > MaxBody {
			err = errBodyTooLarge
		}
		if err == nil {
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			return resp, nil
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil {
		// The cause is kept as text: the caller's own deadline has not passed.
		return nil, fmt.Errorf("%w after %s: %v", errAttemptTimeout, a.timeout, err)
	}
	return nil, err
}

// notSent reports whether err proves the request never reached the provider: the
// connection could not be made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// NewTransport returns the base transport of the stack: no proxy, bounded dial and TLS
// handshake, kept-alive connections per host.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}
