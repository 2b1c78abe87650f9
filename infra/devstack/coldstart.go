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
	maxColdStartRatio = 1.5
	maxBootstrapBytes = 12 << 20
)

// coldstart measures every function's cold start beside a hello-world aws-lambda-go
// bootstrap built the same way, with requests that need no AWS call (a PUT to an ingest
// route is 405 for every provider; GET is Mailchimp's URL check, which reads the connection;
// the API's is a request without a key, 401), and the API's first GET of its OpenAPI document.
func coldstart(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	runs := fs.Int("runs", 21, "starts per bootstrap")
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

	hello, err := measure(ctx, rie, "hello-world", filepath.Join(helloDir, "bootstrap"), nil, getIngest, *runs)
	if err != nil {
		return err
	}
	results := []local.ColdStart{hello}
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
		r, err := measure(ctx, rie, f.Name, bins[f.Name], env, payload, *runs)
		if err != nil {
			return err
		}
		results = append(results, r)
		if f.Name == "api" {
			// The first GET of the OpenAPI document also builds it (about 0.5 MB).
			if r, err = measure(ctx, rie, "api+openapi", bins[f.Name], env, openAPI, *runs); err != nil {
				return err
			}
			results = append(results, r)
		}
	}
	fmt.Printf("cold start under the RIE, %d starts each, host build (%s)\n", *runs, strings.Join(local.BuildFlags, " "))
	fmt.Printf("%-16s %8s %10s %10s %8s  %s\n", "bootstrap", "size", "median", "p90", "×hello", "targets (ingest: ≤1.5× hello median, ≤12 MB)")
	failed := false
	for _, r := range results {
		ratio := float64(r.Median()) / float64(hello.Median())
		verdict := ""
		if strings.HasPrefix(r.Name, "ingest-") {
			verdict = "ok"
			if ratio > maxColdStartRatio || r.SizeBytes > maxBootstrapBytes {
				verdict, failed = "MISSED", true
			}
		}
		fmt.Printf("%-16s %6.1fMB %10s %10s %8.2f  %s\n", r.Name, float64(r.SizeBytes)/(1<<20),
			r.Median().Round(10*time.Microsecond), r.P90().Round(10*time.Microsecond), ratio, verdict)
	}
	if failed {
		return fmt.Errorf("an ingest function missed its cold-start target")
	}
	return nil
}

func measure(ctx context.Context, rie, name, bootstrap string, env []string, payload []byte, runs int) (local.ColdStart, error) {
	info, err := os.Stat(bootstrap)
	if err != nil {
		return local.ColdStart{}, err
	}
	base := []string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_FUNCTION_NAME=" + name, "AWS_REGION=us-east-1", "AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"} // as Lambda sets it with active tracing
	durations, err := local.MeasureColdStart(ctx, rie, bootstrap, append(base, env...), payload, runs)
	if err != nil {
		return local.ColdStart{}, fmt.Errorf("%s: %w", name, err)
	}
	return local.ColdStart{Name: name, SizeBytes: info.Size(), Runs: durations}, nil
}

func buildHello(ctx context.Context, root, dir string) error {
	_, err := local.BuildPackage(ctx, root, filepath.Join(dir, "bootstrap"), "./infra/coldstart/hello")
	return err
}
