package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeAWS plays STS (the caller's account) and SSM (the bootstrap version parameter, absent
// unless version is set) on loopback for the real SDK clients.
func fakeAWS(t *testing.T, version string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter" {
			w.Header().Set("content-type", "application/x-amz-json-1.1")
			if version == "" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"__type":"ParameterNotFound","message":"not found"}`))
				return
			}
			_, _ = w.Write([]byte(`{"Parameter":{"Name":"/cdk-bootstrap/hnb659fds/version","Type":"String","Value":"` + version + `"}}`))
			return
		}
		w.Header().Set("content-type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<Arn>arn:aws:iam::123456789012:user/op</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_STS": srv.URL, "AWS_ENDPOINT_URL_SSM": srv.URL, "AWS_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "operator", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
}

// TestPreflightPrintsTheBootstrapCommand: make deploy stops on an environment that is not
// bootstrapped, saying so with the command to run; a bootstrapped one goes ahead.
func TestPreflightPrintsTheBootstrapCommand(t *testing.T) {
	t.Run("not bootstrapped", func(t *testing.T) {
		fakeAWS(t, "")
		var out bytes.Buffer
		err := preflight(t.Context(), t.TempDir(), &out)
		if err == nil || !strings.Contains(out.String(), "aws://123456789012/eu-west-1 is not bootstrapped") ||
			!strings.Contains(out.String(), ".tools/cdk/node_modules/.bin/cdk bootstrap aws://123456789012/eu-west-1\n") {
			t.Fatalf("preflight = %v:\n%s", err, out.String())
		}
	})
	t.Run("bootstrapped", func(t *testing.T) {
		fakeAWS(t, "30")
		var out bytes.Buffer
		if err := preflight(t.Context(), t.TempDir(), &out); err != nil || !strings.Contains(out.String(), "deploying to aws://123456789012/eu-west-1") {
			t.Fatalf("preflight = %v:\n%s", err, out.String())
		}
	})
}
