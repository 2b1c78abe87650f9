package loadtest

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/awsenv"
	"github.com/wedsync/webhooks/shared/topology"
)

func TestParseSubscribers(t *testing.T) {
	spec := "all=*:fail=0.2;pay=payment.*,invoice.paid;slow=contact.unsubscribed:delay=5s;dead=payment.disputed:dead"
	subs, err := ParseSubscribers(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []Subscriber{
		{Name: "all", Filters: []string{"*"}, FailShare: 0.2},
		{Name: "pay", Filters: []string{"payment.*", "invoice.paid"}},
		{Name: "slow", Filters: []string{"contact.unsubscribed"}, Delay: 5 * time.Second},
		{Name: "dead", Filters: []string{"payment.disputed"}, Dead: true},
	}
	if len(subs) != len(want) {
		t.Fatalf("got %+v", subs)
	}
	var back []string
	for i, s := range subs {
		if s.Name != want[i].Name || !slices.Equal(s.Filters, want[i].Filters) || s.FailShare != want[i].FailShare ||
			s.Delay != want[i].Delay || s.Dead != want[i].Dead {
			t.Errorf("subscriber %d: %+v, want %+v", i, s, want[i])
		}
		back = append(back, s.String())
	}
	if strings.Join(back, ";") != spec {
		t.Errorf("written back as %q", strings.Join(back, ";"))
	}
	for _, bad := range []string{"", "all", "=*", "all=", "a=*;a=x", "a=*:fail=1", "a=*:fail=x", "a=*:delay=soon", "a=*:sometimes"} {
		if _, err := ParseSubscribers(bad); !errors.Is(err, ErrBadKnob) {
			t.Errorf("ParseSubscribers(%q) = %v, want ErrBadKnob", bad, err)
		}
	}
}

func TestParseCounts(t *testing.T) {
	got, err := ParseCounts("ingest=2, deliver=4,process=3")
	if err != nil || !maps.Equal(got, map[string]int{"ingest": 2, "deliver": 4, "process": 3}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if got, err := ParseCounts(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"deliver", "deliver=x", "deliver=-1", "=3"} {
		if _, err := ParseCounts(bad); !errors.Is(err, ErrBadKnob) {
			t.Errorf("ParseCounts(%q) = %v, want ErrBadKnob", bad, err)
		}
	}
}

func validKnobs() Knobs {
	return Knobs{Profile: "chaos", N: 10, Rate: 5, InFlight: 4, Subscribers: []Subscriber{{Name: "all", Filters: []string{"*"}}},
		RetryScale: 0.0002, Pools: map[string]int{"ingest": 2, "deliver": 4}, Visibility: 30 * time.Second,
		ScheduleEvery: 10 * time.Second, DeliveryTimeout: 15 * time.Second, Cap: time.Minute, Kills: map[string]int{"deliver": 1}}
}

func TestValidateNamesEveryBadKnob(t *testing.T) {
	if err := validKnobs().Validate(); err != nil {
		t.Fatal(err)
	}
	k := validKnobs()
	k.N, k.Rate, k.RetryScale = 0, 0, 0
	k.Pools = map[string]int{"nosuch": 1, "deliver": 0}
	k.Kills = map[string]int{"api": 1}
	err := k.Validate()
	if !errors.Is(err, ErrBadKnob) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"N=0", "rate 0", "retry scale 0", `"nosuch"`, "deliver=0", `kills of "api"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q is not named in %v", want, err)
		}
	}
}

func TestKnobsDeriveWhatTheyPin(t *testing.T) {
	k := validKnobs()
	sizes := k.PoolSizes()
	for _, name := range topology.Default().Names() {
		want := 1
		switch {
		case strings.HasPrefix(name, "ingest-"):
			want = 2
		case name == "deliver":
			want = 4
		}
		if sizes[name] != want {
			t.Errorf("pool %s = %d, want %d", name, sizes[name], want)
		}
	}
	if k.ProbeInterval() != 12*time.Millisecond || k.DisableAfter() != 86400*time.Millisecond {
		t.Errorf("probe %s, disable %s at scale 0.0002", k.ProbeInterval(), k.DisableAfter())
	}
	env := k.Env("/tmp/calls.jsonl")
	if !slices.Contains(env, "WEDSYNC_RETRY_SCALE=0.0002") || !slices.Contains(env, "WEDSYNC_DELIVERY_TIMEOUT=15s") ||
		!slices.Contains(env, awsenv.StatsEnv+"=/tmp/calls.jsonl") || slices.ContainsFunc(env, func(v string) bool { return strings.HasPrefix(v, awsenv.FaultsEnv) }) {
		t.Errorf("env without faults: %v", env)
	}
	k.Faults = awsenv.Faults{SQSSend: 0.05, DynamoDBThrottle: 0.05, Seed: 1}
	if env := k.Env("x"); !slices.Contains(env, awsenv.FaultsEnv+"=sqs.send=0.05,dynamodb.throttle=0.05,seed=1") {
		t.Errorf("env with faults: %v", env)
	}
	var out strings.Builder
	k.Print(&out)
	for _, want := range []string{"N=10", "5 requests/s", "probe every 12ms", "disable after 1m26.4s", "deliver=4", "sqs.send=0.05", "deliver=1 (SIGKILL mid-batch)", "all"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the printed knobs lack %q:\n%s", want, out.String())
		}
	}
}
