package ingest_test

import (
	"encoding/json"
	"net/url"
	"os"
	"testing"

	"github.com/wedsync/webhooks/shared/providers/mandrill"
)

// TestMandrillBatch: a batch of three (a send and a bounce sharing _id among them) is three
// events; the same request again is three duplicates and nothing new.
func TestMandrillBatch(t *testing.T) {
	p := newPipeline(t, options{})
	events, err := os.ReadFile("../providers/mandrill/testdata/events.json")
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"mandrill_events": {string(events)}}
	body := []byte(form.Encode())
	headers := map[string]string{"content-type": "application/x-www-form-urlencoded", "x-mandrill-signature": mandrill.Sign(mandrillKey, mandrillURL, form)}
	type batch struct {
		Data struct {
			Events []struct {
				EventID string `json:"event_id"`
			} `json:"events"`
			Accepted   int `json:"accepted"`
			Duplicates int `json:"duplicates"`
		} `json:"data"`
	}
	for round, want := range [][2]int{{3, 0}, {0, 3}} {
		a := invoke(t, p.mandrill, request("POST", "mandrill", "conn-mandrill", headers, body))
		var b batch
		_ = json.Unmarshal([]byte(a.raw), &b)
		if a.status != 200 || len(b.Data.Events) != 3 || b.Data.Accepted != want[0] || b.Data.Duplicates != want[1] {
			t.Fatalf("round %d: %d %s", round+1, a.status, a.raw)
		}
	}
	if n := len(p.stored()); n != 3 {
		t.Fatalf("stored %d events, want 3", n)
	}
	if a := invoke(t, p.mandrill, request("HEAD", "mandrill", "conn-mandrill", nil, nil)); a.status != 200 {
		t.Fatalf("HEAD URL check: %d %s", a.status, a.raw)
	}
	if a := invoke(t, p.mandrill, request("GET", "mandrill", "conn-mandrill", nil, nil)); a.status != 405 {
		t.Fatalf("GET on Mandrill: %d", a.status)
	}
	headers["x-mandrill-signature"] = mandrill.Sign(mandrillKey, mandrillURL+"x", form)
	if a := invoke(t, p.mandrill, request("POST", "mandrill", "conn-mandrill", headers, body)); a.status != 401 || a.body.Error.Code != "INVALID_SIGNATURE" {
		t.Fatalf("signed over another URL: %d %s", a.status, a.raw)
	}
}

// TestMailchimp: the GET check answers 200; the key in the URL authenticates; a form body
// with data[merges][FNAME] normalizes.
func TestMailchimp(t *testing.T) {
	p := newPipeline(t, options{})
	body, err := os.ReadFile("../providers/mailchimp/testdata/subscribe.form")
	if err != nil {
		t.Fatal(err)
	}
	form := map[string]string{"content-type": "application/x-www-form-urlencoded"}
	withKey := func(key string) func(*requestOptions) {
		return func(o *requestOptions) { o.query = map[string]string{"key": key} }
	}
	if a := invoke(t, p.mailchimp, request("GET", "mailchimp", "conn-mailchimp", nil, nil)); a.status != 200 {
		t.Fatalf("GET URL check: %d %s", a.status, a.raw)
	}
	for _, tc := range []struct {
		name   string
		opt    func(*requestOptions)
		status int
		code   string
	}{
		{"no key", func(*requestOptions) {}, 401, "MISSING_SIGNATURE"},
		{"wrong key", withKey("nope"), 401, "INVALID_SIGNATURE"},
		{"right key", withKey(mailchimpKey), 200, ""},
	} {
		req := request("POST", "mailchimp", "conn-mailchimp", form, body)
		o := requestOptions{}
		tc.opt(&o)
		req.QueryStringParameters = o.query
		a := invoke(t, p.mailchimp, req)
		if a.status != tc.status || a.body.Error.Code != tc.code {
			t.Errorf("%s: %d %s", tc.name, a.status, a.raw)
		}
	}
	evs := p.stored()
	if len(evs) != 1 || evs[0].Type != "contact.subscribed" {
		t.Fatalf("stored %+v", evs)
	}
	var env struct {
		Data map[string]string `json:"data"`
	}
	_ = json.Unmarshal(evs[0].Envelope, &env)
	if env.Data["first_name"] != "Sam" || env.Data["email"] != "sam.jones@example.com" {
		t.Fatalf("data %v", env.Data)
	}
}

type requestOptions struct{ query map[string]string }
