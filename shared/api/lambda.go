package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Lambda adapts an http.Handler to API Gateway's HTTP API (payload format 2.0).
type Lambda struct {
	Handler http.Handler
}

// Handle turns the event into a request, serves it, and turns the answer into a response.
func (l Lambda) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: `{"success":false,"error":{"code":"INVALID_JSON","message":"the body is not valid base64"}}`}, nil
		}
		body = decoded
	}
	u := &url.URL{Path: ev.RawPath, RawQuery: ev.RawQueryString}
	if u.Path == "" {
		u.Path = ev.RequestContext.HTTP.Path
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, requestIDKey, ev.RequestContext.RequestID),
		ev.RequestContext.HTTP.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest}, nil
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	for _, c := range ev.Cookies {
		req.Header.Add("cookie", c)
	}
	req.Host = ev.RequestContext.DomainName
	if h := ev.Headers["host"]; h != "" {
		req.Host = h
	}
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	rec := httptest.NewRecorder()
	l.Handler.ServeHTTP(rec, req)
	resp := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}}
	for k, vs := range rec.Header() {
		resp.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if out := rec.Body.Bytes(); utf8.Valid(out) {
		resp.Body = string(out)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(out), true
	}
	return resp, nil
}
