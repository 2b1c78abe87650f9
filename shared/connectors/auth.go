package connectors

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// Auth puts a connection's credentials on a request.
type Auth interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// HeaderAuth sets one header to a fixed value: an API key (Header "X-Api-Key") or a bearer
// token (Header "Authorization", Value "Bearer …").
type HeaderAuth struct {
	Header, Value string
}

// Authorize sets the header.
func (h HeaderAuth) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set(h.Header, h.Value)
	return nil
}

// Bearer authorizes with a fixed bearer token.
func Bearer(token string) Auth { return HeaderAuth{Header: "Authorization", Value: "Bearer " + token} }

// BasicAuth authorizes with a user name and password.
type BasicAuth struct {
	User, Password string
}

// Authorize sets HTTP basic authorization.
func (b BasicAuth) Authorize(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(b.User, b.Password)
	return nil
}

// TokenSource gives the current OAuth2 access token (SharedTokenSource).
type TokenSource interface {
	Token(ctx context.Context) (*oauth2.Token, error)
}

// OAuth2Auth authorizes with the connection's current OAuth2 access token.
type OAuth2Auth struct {
	Source TokenSource
}

// Authorize sets the access token, refreshing it first when it has expired.
func (o OAuth2Auth) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := o.Source.Token(ctx)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	return nil
}

// authorize puts the credentials on each try.
type authorize struct {
	auth Auth
	next http.RoundTripper
}

func (a authorize) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if err := a.auth.Authorize(req.Context(), r); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return a.next.RoundTrip(r)
}
