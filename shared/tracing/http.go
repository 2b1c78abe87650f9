package tracing

import "net/http"

// Transport returns rt (http.DefaultTransport when nil) tracing each request as a remote
// subsegment named after the host: method, the URL without its query, status and length.
// The trace header is not passed on: the other side is not ours.
func (e *Emitter) Transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if e == nil {
		return rt
	}
	return roundTripper{e: e, next: rt}
}

type roundTripper struct {
	e    *Emitter
	next http.RoundTripper
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	s := t.e.start(req.Context(), req.URL.Hostname(), "remote")
	if s == nil {
		return t.next.RoundTrip(req)
	}
	u := *req.URL
	u.RawQuery, u.Fragment, u.User = "", "", nil
	s.HTTP = &HTTP{Request: &HTTPRequest{Method: req.Method, URL: u.String()}}
	resp, err := t.next.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		s.HTTP.Response = &HTTPResponse{Status: status, ContentLength: max(resp.ContentLength, 0)}
	}
	s.classify(status, err != nil, false)
	t.e.end(s)
	return resp, err
}
