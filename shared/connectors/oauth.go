package connectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// StoredToken is a connection's OAuth2 state as stored: the current token (nil before the
// first refresh), its revision, the refresh lease and the refresh token to use.
type StoredToken struct {
	Token        *oauth2.Token
	Revision     int64
	RefreshUntil time.Time
	// RefreshToken is the token's own refresh token, else the one the tenant gave.
	RefreshToken string
}

// TokenStore keeps one connection's OAuth2 token, sealed, for every container.
type TokenStore interface {
	Load(ctx context.Context) (StoredToken, error)
	// LeaseRefresh claims the refresh of revision rev until until; false when another
	// holds it or the revision moved on.
	LeaseRefresh(ctx context.Context, rev int64, now, until time.Time) (bool, error)
	// Save stores tok over revision rev and ends the lease; false when rev moved on.
	Save(ctx context.Context, rev int64, tok *oauth2.Token, now time.Time) (bool, error)
	Release(ctx context.Context, rev int64) error
}

// ErrRefresh means the provider refused to refresh the token.
var ErrRefresh = errors.New("OAuth2 token refresh failed")

// SharedTokenSource gives a connection's access token, refreshing it when it has expired —
// once for every container: the refresher leases the refresh in the store, the others wait
// for the token it stores. Providers that rotate refresh tokens (Calendly) need exactly that.
type SharedTokenSource struct {
	Config oauth2.Config
	Store  TokenStore
	// HTTP calls the token endpoint (a client of this package, so the host is allow-listed).
	HTTP  *http.Client
	Clock Clock
	// Lease bounds a refresh; Poll is how often a waiting container looks for the new
	// token; Skew refreshes this long before the expiry.
	Lease, Poll, Skew time.Duration

	mu  sync.Mutex
	cur *oauth2.Token
}

var _ TokenSource = (*SharedTokenSource)(nil)

// Token returns a token valid now, refreshed (by this container or another) when needed.
func (s *SharedTokenSource) Token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.valid(s.cur) {
		return s.cur, nil
	}
	for {
		st, err := s.Store.Load(ctx)
		if err != nil {
			return nil, err
		}
		if s.valid(st.Token) {
			s.cur = st.Token
			return s.cur, nil
		}
		now := s.Clock.Now()
		if !st.RefreshUntil.After(now) {
			won, err := s.Store.LeaseRefresh(ctx, st.Revision, now, now.Add(s.lease()))
			if err != nil {
				return nil, err
			}
			if won {
				return s.refresh(ctx, st)
			}
		}
		if err := s.Clock.Sleep(ctx, s.poll()); err != nil {
			return nil, err
		}
	}
}

func (s *SharedTokenSource) refresh(ctx context.Context, st StoredToken) (*oauth2.Token, error) {
	if st.RefreshToken == "" {
		_ = s.Store.Release(ctx, st.Revision)
		return nil, fmt.Errorf("%w: no refresh token", ErrRefresh)
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, s.HTTP)
	tok, err := s.Config.TokenSource(hctx, &oauth2.Token{RefreshToken: st.RefreshToken}).Token()
	if err != nil {
		_ = s.Store.Release(ctx, st.Revision)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			return nil, fmt.Errorf("%w: %w", ErrRefresh, NewProviderError("oauth2", re.Response.StatusCode, re.Body))
		}
		return nil, fmt.Errorf("%w: %w", ErrRefresh, err)
	}
	now := s.Clock.Now()
	if tok.ExpiresIn > 0 {
		tok.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = st.RefreshToken
	}
	if _, err := s.Store.Save(ctx, st.Revision, tok, now); err != nil {
		return nil, err
	}
	s.cur = tok
	return tok, nil
}

// valid says tok can be used for a while yet, by this source's clock.
func (s *SharedTokenSource) valid(tok *oauth2.Token) bool {
	if tok == nil || tok.AccessToken == "" {
		return false
	}
	return tok.Expiry.IsZero() || tok.Expiry.After(s.Clock.Now().Add(s.Skew))
}

func (s *SharedTokenSource) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 15 * time.Second
}

func (s *SharedTokenSource) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return 100 * time.Millisecond
}
