package loadtest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/stdwebhooks"
)

func secret(t *testing.T) (string, []byte) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return stdwebhooks.SecretPrefix + base64.StdEncoding.EncodeToString(key), key
}

func postSigned(t *testing.T, url string, key []byte, id string, body []byte) int {
	t.Helper()
	now := time.Now()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set(stdwebhooks.HeaderID, id)
	req.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(stdwebhooks.HeaderSignature, stdwebhooks.Sign(key, id, now, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHookVerifiesRecordsAndAnswers(t *testing.T) {
	h, err := StartHook(Subscriber{Name: "all", Filters: []string{"*"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	s, key := secret(t)
	if err := h.SetSecret(s); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"evt_1","type":"payment.received"}`)
	if got := postSigned(t, h.URL, key, "msg_1", body); got != 200 {
		t.Fatalf("a signed POST: %d", got)
	}
	_, other := secret(t)
	if got := postSigned(t, h.URL, other, "msg_2", body); got != 400 {
		t.Fatalf("a POST signed with another key: %d", got)
	}
	arrivals := h.Arrivals()
	if len(arrivals) != 2 {
		t.Fatalf("arrivals %+v", arrivals)
	}
	a := arrivals[0]
	if a.WebhookID != "msg_1" || a.EventID != "evt_1" || a.EventType != "payment.received" || a.Status != 200 || !a.SignatureOK || a.Subscriber != "all" {
		t.Fatalf("first arrival %+v", a)
	}
	if arrivals[1].SignatureOK || arrivals[1].Status != 400 {
		t.Fatalf("second arrival %+v", arrivals[1])
	}
}

func TestHookFailsItsShareOfRequests(t *testing.T) {
	h, err := StartHook(Subscriber{Name: "flaky", Filters: []string{"*"}, FailShare: 0.2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	s, key := secret(t)
	if err := h.SetSecret(s); err != nil {
		t.Fatal(err)
	}
	const n = 500
	failed := 0
	for i := range n {
		if postSigned(t, h.URL, key, "msg_"+strconv.Itoa(i), []byte(`{}`)) == 500 {
			failed++
		}
	}
	if failed < n*15/100 || failed > n*25/100 {
		t.Fatalf("%d of %d failed, want about 20 %%", failed, n)
	}
	if posts, ok := h.Count(); posts != n || ok != n-failed {
		t.Fatalf("count %d posts, %d ok", posts, ok)
	}
}

func TestDeadHookRefusesConnections(t *testing.T) {
	h, err := StartHook(Subscriber{Name: "dead", Filters: []string{"*"}, Dead: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = http.Post(h.URL, "application/json", bytes.NewReader([]byte(`{}`)))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("POST to a dead hook: %v", err)
	}
}
