package awsenv_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/topology"
)

// TestReadSettings: each bad variable shared by every function is named, with the right kind
// of error; a good environment reads back as set.
func TestReadSettings(t *testing.T) {
	t.Parallel()
	secretsFn := topology.Function{Name: "deliver", Secrets: topology.OpenSecrets}
	plainFn := topology.Function{Name: "process"}
	for _, c := range []struct {
		name string
		fn   topology.Function
		env  map[string]string
		want []string
		is   error
	}{
		{"no stage", plainFn, nil, []string{"WEDSYNC_STAGE"}, config.ErrMissing},
		{"no KMS key in prod", secretsFn, map[string]string{"WEDSYNC_STAGE": "prod"}, []string{"WEDSYNC_KMS_KEY_ID"}, config.ErrMissing},
		{"bad call timeout", plainFn, map[string]string{"WEDSYNC_STAGE": "prod", "WEDSYNC_AWS_CALL_TIMEOUT": "soon"}, []string{"WEDSYNC_AWS_CALL_TIMEOUT"}, config.ErrMalformed},
		{"zero call timeout", plainFn, map[string]string{"WEDSYNC_STAGE": "prod", "WEDSYNC_AWS_CALL_TIMEOUT": "0s"}, []string{"WEDSYNC_AWS_CALL_TIMEOUT"}, config.ErrInvalid},
		{"loopback in prod", plainFn, map[string]string{"WEDSYNC_STAGE": "prod", "WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS": "true"}, []string{"WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS"}, awsenv.ErrLocalOnly},
		{"loopback not a bool", plainFn, map[string]string{"WEDSYNC_STAGE": "local", "WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS": "yes"}, []string{"WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS"}, config.ErrMalformed},
		{"faults and stats in prod", plainFn, map[string]string{"WEDSYNC_STAGE": "prod", awsenv.FaultsEnv: "sqs.send=0.1", awsenv.StatsEnv: "/tmp/x"},
			[]string{awsenv.FaultsEnv, awsenv.StatsEnv}, awsenv.ErrLocalOnly},
		{"bad fault plan", plainFn, map[string]string{"WEDSYNC_STAGE": "local", awsenv.FaultsEnv: "sqs.send=2"}, []string{awsenv.FaultsEnv}, awsenv.ErrBadFaults},
		{"everything at once", secretsFn, map[string]string{"WEDSYNC_AWS_CALL_TIMEOUT": "x", "WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS": "1"},
			[]string{"WEDSYNC_STAGE", "WEDSYNC_AWS_CALL_TIMEOUT", "WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS"}, config.ErrMissing},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := config.Read(func(k string) string { return c.env[k] })
			awsenv.ReadSettings(v, c.fn)
			err := v.Err()
			got := config.Names(err)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) || !errors.Is(err, c.is) {
				t.Fatalf("named %v (%v), want %v and errors.Is %v", got, err, want, c.is)
			}
		})
	}
	v := config.Read(func(k string) string {
		return map[string]string{"WEDSYNC_STAGE": "local", "WEDSYNC_AWS_CALL_TIMEOUT": "100ms", "WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS": "true"}[k]
	})
	s := awsenv.ReadSettings(v, secretsFn)
	if v.Err() != nil || s.Stage != "local" || s.CallTimeout != 100*time.Millisecond || !s.AllowLoopback || s.Function != "deliver" {
		t.Fatalf("good settings: %+v, %v", s, v.Err())
	}
}
