package connectors_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/wedsync/webhooks/shared/connectors"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/testenv"
)

// waitWatch tells when a container found another one refreshing.
type waitWatch struct {
	connectors.TokenStore
	once    *sync.Once
	waiting chan struct{}
}

func (w waitWatch) Load(ctx context.Context) (connectors.StoredToken, error) {
	st, err := w.TokenStore.Load(ctx)
	if err == nil && st.RefreshUntil.After(t0) {
		w.once.Do(func() { close(w.waiting) })
	}
	return st, err
}

func (w waitWatch) LeaseRefresh(ctx context.Context, rev int64, now, until time.Time) (bool, error) {
	won, err := w.TokenStore.LeaseRefresh(ctx, rev, now, until)
	if err == nil && !won {
		w.once.Do(func() { close(w.waiting) })
	}
	return won, err
}

// TestOAuth2RefreshedOnceForEveryContainer (acceptance 5): two containers need a fresh token
// at once; the token endpoint is called once (it answers only after the second container is
// seen waiting), both use the new token, and it is stored sealed with KMS.
func TestOAuth2RefreshedOnceForEveryContainer(t *testing.T) {
	cfg := testenv.Config(testenv.CallTimeout)
	db := testenv.DynamoDB(t, cfg)
	kmsClient := testenv.KMS(t, cfg)
	sealer := &secrets.Envelope{Client: kmsClient, KeyID: testenv.KMSKey(t, kmsClient)}
	creds := &store.Credentials{DB: db, Table: testenv.Tables(t, db)["credentials"]}
	ctx := context.Background()

	waiting := make(chan struct{})
	var refreshes atomic.Int32
	srv, p := loopback(t, connectors.Calendly, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.URL.Path != "/oauth/token" || r.PostForm.Get("grant_type") != "refresh_token" ||
			r.PostForm.Get("refresh_token") != "rt_first" || r.PostForm.Get("client_secret") != "cs_1" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"refresh token already used"}`))
			return
		}
		refreshes.Add(1)
		select {
		case <-waiting:
		case <-time.After(10 * time.Second):
		}
		w.Header().Set("content-type", "application/json")
		w.Write([]byte(`{"access_token":"at_fresh","token_type":"Bearer","expires_in":7200,"refresh_token":"rt_rotated"}`))
	}))
	p, err := connectors.Resolve(p, connectors.Endpoints{BaseURL: srv.URL, TokenURL: srv.URL + "/oauth/token"}, true)
	if err != nil {
		t.Fatal(err)
	}

	sealed, err := connectors.SealSecret(ctx, sealer, "t1", "conn_cal", connectors.Secret{
		OAuth2: &connectors.OAuth2Client{ClientID: "ci_1", ClientSecret: "cs_1", RefreshToken: "rt_first"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := creds.Put(ctx, store.Credential{TenantID: "t1", ConnectionID: "conn_cal", Kind: "calendly", Type: connectors.TypeOAuth2,
		Sealed: sealed, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	tokens := &connectors.StoredTokens{Store: creds, Sealer: sealer, TenantID: "t1", ConnectionID: "conn_cal"}
	if _, err := tokens.Save(ctx, 1, &oauth2.Token{AccessToken: "at_expired", RefreshToken: "rt_first", Expiry: t0.Add(-time.Minute)}, t0); err != nil {
		t.Fatal(err)
	}

	clock := newOffsetClock()
	once := &sync.Once{}
	container := func() *connectors.SharedTokenSource {
		return &connectors.SharedTokenSource{
			Config: oauth2.Config{ClientID: "ci_1", ClientSecret: "cs_1",
				Endpoint: oauth2.Endpoint{TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams}},
			Store: waitWatch{TokenStore: tokens, once: once, waiting: waiting},
			HTTP:  connectors.TokenClient(p, nil), Clock: clock, Poll: 20 * time.Millisecond,
		}
	}
	a, b := container(), container()
	got := make([]*oauth2.Token, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, src := range []*connectors.SharedTokenSource{a, b} {
		wg.Go(func() { got[i], errs[i] = src.Token(ctx) })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || got[i].AccessToken != "at_fresh" {
			t.Fatalf("container %d: %v, %v", i, got[i], errs[i])
		}
	}
	if _, err := a.Token(ctx); err != nil || refreshes.Load() != 1 {
		t.Fatalf("%d refreshes (err %v), want exactly one", refreshes.Load(), err)
	}

	stored, err := creds.Get(ctx, "t1", "conn_cal")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.SealedToken, "kms1.") || strings.Contains(stored.SealedToken, "at_fresh") ||
		strings.Contains(stored.SealedToken, "rt_rotated") || stored.TokenRevision != 3 || !stored.RefreshUntil.IsZero() {
		t.Fatalf("stored token %+v is not the sealed new one", stored)
	}
	reopened, err := tokens.Load(ctx)
	if err != nil || reopened.Token.AccessToken != "at_fresh" || reopened.RefreshToken != "rt_rotated" {
		t.Fatalf("stored token opens to %+v, %v", reopened.Token, err)
	}
}

// TestOAuth2RefusedRefreshCarriesTheMessage: a refused refresh ends with the provider's
// message and frees the lease for the next try.
func TestOAuth2RefusedRefreshCarriesTheMessage(t *testing.T) {
	db := testenv.DynamoDB(t, testenv.Config(testenv.CallTimeout))
	creds := &store.Credentials{DB: db, Table: testenv.Tables(t, db)["credentials"]}
	ctx := context.Background()
	srv, p := loopback(t, connectors.Calendly, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant","error_description":"The refresh token is revoked"}`))
	}))
	p, _ = connectors.Resolve(p, connectors.Endpoints{BaseURL: srv.URL, TokenURL: srv.URL + "/oauth/token"}, true)
	sealer := secrets.Plaintext{}
	sealed, _ := connectors.SealSecret(ctx, sealer, "t1", "conn_cal", connectors.Secret{
		OAuth2: &connectors.OAuth2Client{ClientID: "ci", ClientSecret: "cs", RefreshToken: "rt"}})
	if err := creds.Put(ctx, store.Credential{TenantID: "t1", ConnectionID: "conn_cal", Kind: "calendly", Type: connectors.TypeOAuth2, Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
	src := &connectors.SharedTokenSource{
		Config: oauth2.Config{ClientID: "ci", ClientSecret: "cs", Endpoint: oauth2.Endpoint{TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams}},
		Store:  &connectors.StoredTokens{Store: creds, Sealer: sealer, TenantID: "t1", ConnectionID: "conn_cal"},
		HTTP:   connectors.TokenClient(p, nil), Clock: newFakeClock(),
	}
	_, err := src.Token(ctx)
	if err == nil || !strings.Contains(err.Error(), "The refresh token is revoked") {
		t.Fatalf("refused refresh: %v", err)
	}
	stored, _ := creds.Get(ctx, "t1", "conn_cal")
	if !stored.RefreshUntil.IsZero() {
		t.Fatalf("the lease was kept after a refused refresh: %+v", stored)
	}
}
