package awsenv_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/wedsync/webhooks/shared/awsenv"
)

func TestParseFaults(t *testing.T) {
	got, err := awsenv.ParseFaults("sqs.send=0.05, dynamodb.throttle=0.1,seed=7")
	if err != nil || got != (awsenv.Faults{SQSSend: 0.05, DynamoDBThrottle: 0.1, Seed: 7}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if again, err := awsenv.ParseFaults(got.String()); err != nil || again != got {
		t.Fatalf("%q reads back as %+v, %v", got.String(), again, err)
	}
	for _, bad := range []string{"sqs.send", "sqs.send=1.5", "sqs.send=-0.1", "sqs.send=often", "kms.decrypt=0.1", "seed=-1"} {
		if _, err := awsenv.ParseFaults(bad); !errors.Is(err, awsenv.ErrBadFaults) {
			t.Errorf("ParseFaults(%q) = %v, want ErrBadFaults", bad, err)
		}
	}
}

// settings are the local knobs of vars in stage.
func settings(stage string, vars map[string]string) awsenv.Settings {
	return awsenv.Settings{Stage: stage, Faults: vars[awsenv.FaultsEnv], Stats: vars[awsenv.StatsEnv]}
}

func TestLocalOptionsRefusedOutsideTheLocalStage(t *testing.T) {
	stats := filepath.Join(t.TempDir(), "calls.jsonl")
	for _, stage := range []string{"prod", "staging", "test", ""} {
		for _, vars := range []map[string]string{
			{awsenv.FaultsEnv: "sqs.send=0.05"},
			{awsenv.StatsEnv: stats},
		} {
			if _, err := awsenv.LocalOptions(settings(stage, vars)); !errors.Is(err, awsenv.ErrLocalOnly) {
				t.Errorf("stage %q with %v: %v, want ErrLocalOnly", stage, vars, err)
			}
		}
	}
	opts, err := awsenv.LocalOptions(settings("local", map[string]string{awsenv.FaultsEnv: "sqs.send=0.05,seed=1", awsenv.StatsEnv: stats}))
	if err != nil || len(opts) != 2 {
		t.Fatalf("local stage: %d options, %v", len(opts), err)
	}
	if opts, err := awsenv.LocalOptions(settings("prod", nil)); err != nil || len(opts) != 0 {
		t.Fatalf("no knobs: %d options, %v", len(opts), err)
	}
	if _, err := awsenv.LocalOptions(settings("local", map[string]string{awsenv.FaultsEnv: "sqs.send=2"})); !errors.Is(err, awsenv.ErrBadFaults) {
		t.Fatalf("a bad plan: %v", err)
	}
}

func TestLoadRefusesFaultsInADeployedStage(t *testing.T) {
	s := awsenv.Settings{Stage: "prod", Faults: "dynamodb.throttle=0.05"}
	if _, err := awsenv.Load(t.Context(), s); !errors.Is(err, awsenv.ErrLocalOnly) {
		t.Fatalf("Load in prod with %s: %v", awsenv.FaultsEnv, err)
	}
}

func TestFaultsDecideDrawsTheirShare(t *testing.T) {
	plan := awsenv.Faults{SQSSend: 0.05, DynamoDBThrottle: 0.05, Seed: 42}
	const n = 100_000
	count := func(d awsenv.Decide, service, op string) (hits int, kinds map[string]int) {
		kinds = map[string]int{}
		for range n {
			if a := d(service, op); a != 0 {
				hits++
				kinds[a.Kind()]++
			}
		}
		return hits, kinds
	}
	d := plan.Decide(1)
	for _, c := range []struct{ service, op, kind string }{
		{"SQS", "SendMessage", "server_error"}, {"SQS", "SendMessageBatch", "server_error"},
		{"DynamoDB", "PutItem", "throttle"}, {"DynamoDB", "Query", "throttle"},
	} {
		hits, kinds := count(d, c.service, c.op)
		if hits < n*45/1000 || hits > n*55/1000 || kinds[c.kind] != hits {
			t.Errorf("%s %s: %d of %d answered (%v), want about 5 %% %s", c.service, c.op, hits, n, kinds, c.kind)
		}
	}
	for _, c := range []struct{ service, op string }{{"SQS", "ReceiveMessage"}, {"SQS", "DeleteMessageBatch"}, {"KMS", "Decrypt"}} {
		if hits, _ := count(d, c.service, c.op); hits != 0 {
			t.Errorf("%s %s: %d faults, want none", c.service, c.op, hits)
		}
	}
	a, b := plan.Decide(9), plan.Decide(9)
	for i := range 1000 {
		if x, y := a("DynamoDB", "GetItem"), b("DynamoDB", "GetItem"); x != y {
			t.Fatalf("draw %d differs between two sources of one seed and stream: %v, %v", i, x, y)
		}
	}
}
