package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/topology"
)

// Cold-start targets for ingest functions, against the hello-world bootstrap.
const (
	maxColdStartRatio = 1.25
	maxBootstrapBytes = 12 << 20
)

// coldstart measures every function's cold start beside a hello-world aws-lambda-go
// bootstrap built the same way, with requests that need no AWS call (a PUT to an ingest
// route is 405 for every provider; GET is Mailchimp's URL check, which reads the connection;
// the API's is a request without a key, 401), and the API's first GET of its OpenAPI document.
// Each function's starts alternate with hello-world's, and its ratio is to the hello-world
// starts made beside it: a change in the machine's load during the run moves both.
func coldstart(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	runs := fs.Int("runs", 41, "starts per bootstrap, each beside one of hello-world")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rie, err := emulator.Tool(root, "aws-lambda-rie", "run `make tools`")
	if err != nil {
		return err
	}
	spec := topology.Default()
	outDir := filepath.Join(root, ".dev", "coldstart")
	bins, err := local.Build(ctx, root, outDir, spec.Names())
	if err != nil {
		return err
	}
	helloDir := filepath.Join(outDir, "hello")
	if err := buildHello(ctx, root, helloDir); err != nil {
		return err
	}
	st := local.State{
		DynamoDB: "http://127.0.0.1:9", SQS: "http://127.0.0.1:9", KMS: "http://127.0.0.1:9",
		Tables: map[string]string{}, Queues: map[string]string{}, CursorSecret: strings.Repeat("c", 32),
	}
	for _, t := range spec.Tables {
		st.Tables[t] = "coldstart-" + t
	}
	for _, q := range spec.Queues {
		st.Queues[q.Name] = "http://127.0.0.1:9/000000000000/coldstart-" + q.Name
	}
	getIngest := []byte(`{"version":"2.0","routeKey":"ANY /webhooks/x/{connectionId}","rawPath":"/webhooks/x/c","requestContext":{"http":{"method":"PUT","path":"/webhooks/x/c"},"requestId":"coldstart"},"pathParameters":{"connectionId":"c"}}`)
	emptyBatch := []byte(`{"Records":[]}`)
	unauthenticated := []byte(`{"version":"2.0","routeKey":"ANY /v1/{proxy+}","rawPath":"/v1/subscriptions","requestContext":{"http":{"method":"GET","path":"/v1/subscriptions"},"requestId":"coldstart"}}`)
	openAPI := []byte(`{"version":"2.0","routeKey":"ANY /v1/{proxy+}","rawPath":"/v1/openapi.json","requestContext":{"http":{"method":"GET","path":"/v1/openapi.json"},"requestId":"coldstart"}}`)

	hello := bootstrap{name: "hello-world", path: filepath.Join(helloDir, "bootstrap"), payload: getIngest}
	helloAll := local.ColdStart{Name: hello.name}
	var results []pairedStart
	for _, f := range spec.Functions {
		if len(f.Schedules) > 0 {
			fmt.Printf("%s: skipped (every run of it calls AWS)\n", f.Name)
			continue
		}
		env, err := local.FunctionEnv(f, st, nil)
		if err != nil {
			return err
		}
		payload := getIngest
		switch {
		case f.Source != nil:
			payload = emptyBatch
		case f.Name == "api":
			payload = unauthenticated
		}
		fns := []bootstrap{{name: f.Name, path: bins[f.Name], env: env, payload: payload}}
		if f.Name == "api" {
			// The first GET of the OpenAPI document also builds it (about 0.5 MB).
			fns = append(fns, bootstrap{name: "api+openapi", path: bins[f.Name], env: env, payload: openAPI})
		}
		for _, fn := range fns {
			r, err := measurePair(ctx, rie, fn, hello, *runs)
			if err != nil {
				return err
			}
			results = append(results, r)
			helloAll.Runs = append(helloAll.Runs, r.hello.Runs...)
		}
	}
	if info, err := os.Stat(hello.path); err == nil {
		helloAll.SizeBytes = info.Size()
	}
	fmt.Printf("cold start under the RIE, %d starts each, host build (%s)\n", *runs, strings.Join(local.BuildFlags, " "))
	fmt.Printf("%-16s %8s %10s %10s %8s  %s\n", "bootstrap", "size", "median", "p90", "×hello", "targets (ingest: ≤1.25× the hello-world starts beside it, ≤12 MB)")
	failed := false
	row := func(r local.ColdStart, ratio float64, verdict string) {
		fmt.Printf("%-16s %6.1fMB %10s %10s %8.2f  %s\n", r.Name, float64(r.SizeBytes)/(1<<20),
			r.Median().Round(10*time.Microsecond), r.P90().Round(10*time.Microsecond), ratio, verdict)
	}
	row(helloAll, 1, "")
	for _, p := range results {
		r := p.ColdStart
		ratio := float64(r.Median()) / float64(p.hello.Median())
		verdict := ""
		if strings.HasPrefix(r.Name, "ingest-") {
			verdict = "ok"
			if ratio > maxColdStartRatio || r.SizeBytes > maxBootstrapBytes {
				verdict, failed = "MISSED", true
			}
		}
		row(r, ratio, verdict)
	}
	if failed {
		return fmt.Errorf("an ingest function missed its cold-start target")
	}
	return nil
}

// bootstrap is one row's program and the request its starts answer.
type bootstrap struct {
	name, path string
	env        []string
	payload    []byte
}

// pairedStart is a bootstrap's starts and the hello-world starts made in alternation with them.
type pairedStart struct {
	local.ColdStart
	hello local.ColdStart
}

// measurePair starts fn and hello in turn, runs times each.
func measurePair(ctx context.Context, rie string, fn, hello bootstrap, runs int) (pairedStart, error) {
	out := pairedStart{ColdStart: local.ColdStart{Name: fn.name}, hello: local.ColdStart{Name: hello.name}}
	info, err := os.Stat(fn.path)
	if err != nil {
		return out, err
	}
	out.SizeBytes = info.Size()
	for range runs {
		for _, b := range []struct {
			bootstrap
			into *local.ColdStart
		}{{hello, &out.hello}, {fn, &out.ColdStart}} {
			d, err := measure(ctx, rie, b.bootstrap)
			if err != nil {
				return out, err
			}
			b.into.Runs = append(b.into.Runs, d)
		}
	}
	return out, nil
}

// measure times one start of b under the RIE.
func measure(ctx context.Context, rie string, b bootstrap) (time.Duration, error) {
	base := []string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_FUNCTION_NAME=" + b.name, "AWS_REGION=us-east-1", "AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"} // as Lambda sets it with active tracing
	durations, err := local.MeasureColdStart(ctx, rie, b.path, append(base, b.env...), b.payload, 1)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", b.name, err)
	}
	return durations[0], nil
}

func buildHello(ctx context.Context, root, dir string) error {
	_, err := local.BuildPackage(ctx, root, filepath.Join(dir, "bootstrap"), "./infra/coldstart/hello")
	return err
}
