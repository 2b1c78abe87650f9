package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/infra/local"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

func printBanner(w io.Writer, st local.State) {
	fmt.Fprintf(w, "\nWedSync Webhooks — local stack ready at %s\n", st.URL)
	fmt.Fprintf(w, "  health       %s/_dev/health\n", st.URL)
	fmt.Fprintf(w, "  dev tenant   %s   API key %s (for the management API, once it exists)\n", st.Tenant, st.APIKey)
	kinds := make([]string, 0, len(st.Connections))
	for k := range st.Connections {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintln(w, "  ingest URLs and secrets:")
	for _, k := range kinds {
		c := st.Connections[k]
		fmt.Fprintf(w, "    %-8s %s   secret %s\n", k, c.IngestURL, c.Secret)
	}
	fmt.Fprintf(w, "  DynamoDB %s   SQS %s   KMS %s   state .dev/stack.json\n", st.DynamoDB, st.SQS, st.KMS)
	fmt.Fprintln(w, "\nSend a first event (signed afresh each time), then see it processed:")
	fmt.Fprintln(w, "  make send PROVIDER=stripe EVENT=payment_intent.succeeded")
	fmt.Fprintln(w, "  make events-tail")
	if c, ok := st.Connections["custom"]; ok {
		body := `{"type":"booking.created","data":{"booking_id":"bk_1","attendee_name":"Alex Smith"}}`
		msgID := "msg_" + randomHex(8)
		h, err := local.SignedHeaders("custom", c.Secret, msgID, []byte(body), time.Now())
		if err == nil {
			fmt.Fprintln(w, "or with curl (this signature is valid for 5 minutes):")
			fmt.Fprintf(w, "  curl -sS %s -H 'content-type: application/json' -H 'webhook-id: %s' -H 'webhook-timestamp: %s' -H 'webhook-signature: %s' -d '%s'\n",
				c.IngestURL, h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body)
		}
	}
	fmt.Fprintln(w, "\nFunction logs follow. Ctrl-C stops everything.")
}

func functions() error {
	fmt.Println(strings.Join(topology.Default().Names(), " "))
	return nil
}

func runningState(root string) (local.State, error) {
	st, err := local.ReadState(filepath.Join(root, ".dev"))
	if err != nil || !st.Running {
		return local.State{}, errors.New("no local stack is running: start one with `make dev`")
	}
	return st, nil
}

// send posts a provider's sample event, signed as that provider signs it, with a fresh id.
func send(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	provider := fs.String("provider", "stripe", "provider kind")
	event := fs.String("event", "", "sample name under shared/providers/<provider>/testdata")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := runningState(root)
	if err != nil {
		return err
	}
	conn, ok := st.Connections[*provider]
	if !ok {
		return fmt.Errorf("the stack has no %s connection (it has %v)", *provider, keys(st.Connections))
	}
	if *event == "" {
		*event = local.DefaultSamples[*provider]
	}
	body, err := local.SampleBody(root, *provider, *event)
	if err != nil {
		return err
	}
	now := time.Now()
	if body, err = local.Fresh(*provider, body, now); err != nil {
		return err
	}
	target, headers, err := local.Sign(conn, "msg_"+randomHex(12), body, now)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Printf("POST %s → %d %s\n", conn.IngestURL, resp.StatusCode, answer)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %d", resp.StatusCode)
	}
	return nil
}

// invoke runs one invocation of a function under the RIE, like `sam local invoke`.
func invoke(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fn := fs.String("fn", "", "function name")
	event := fs.String("event", "", "path of the invoke event")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, ok := topology.Default().Function(*fn)
	if !ok {
		return fmt.Errorf("unknown function %q (functions: %s)", *fn, strings.Join(topology.Default().Names(), ", "))
	}
	payload, err := os.ReadFile(*event)
	if err != nil {
		return err
	}
	st, err := runningState(root)
	if err != nil {
		return err
	}
	out, err := local.InvokeOnce(ctx, root, f, st, payload, os.Stderr)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Println(string(out))
	return nil
}

// regenerateEvents rewrites events/ signed with the dev secrets at the current time.
func regenerateEvents(root string, _ []string) error {
	st, err := local.ReadState(filepath.Join(root, ".dev"))
	if err != nil {
		st = local.State{}
	}
	if st.Connections == nil {
		st.Connections = map[string]local.ConnectionState{}
	}
	if v := os.Getenv("WEDSYNC_DEV_API_KEY"); v != "" {
		st.APIKey = v
	}
	if st.APIKey == "" {
		return errors.New("no dev API key: run `make dev` once, or set WEDSYNC_DEV_API_KEY")
	}
	base := st.URL
	if base == "" {
		base = "http://" + local.DefaultAddr
	}
	if st.URL == "" {
		st.URL = base
	}
	for _, kind := range local.ImplementedKinds(topology.Default()) {
		c := st.Connections[kind]
		c.ID, c.Kind = "dev-"+kind, kind
		c.IngestURL = base + "/webhooks/" + kind + "/" + c.ID
		if v := os.Getenv("WEDSYNC_DEV_SECRET_" + strings.ToUpper(kind)); v != "" {
			c.Secret = v
		}
		if c.Secret == "" {
			return fmt.Errorf("no dev secret for %s: run `make dev` once, or set WEDSYNC_DEV_SECRET_%s", kind, strings.ToUpper(kind))
		}
		st.Connections[kind] = c
	}
	samples, err := local.Samples(root, st, time.Now())
	if err != nil {
		return err
	}
	if err := local.WriteSamples(root, samples); err != nil {
		return err
	}
	for _, s := range samples {
		fmt.Println("wrote", s.Path())
	}
	fmt.Println("signatures are valid for 5 minutes (Stripe and custom tolerances); run `make events` again after that")
	return nil
}

func clients(st local.State) (*dynamodb.Client, *sqs.Client) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(st.DynamoDB)
		o.DisableValidateResponseChecksum = true
	})
	return db, sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(st.SQS) })
}

// tail lists the dev tenant's latest events.
func tail(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	n := fs.Int("n", 10, "how many events")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := runningState(root)
	if err != nil {
		return err
	}
	db, _ := clients(st)
	page, err := (&store.Events{DB: db, Table: st.Tables[topology.TableEvents]}).ListByTenant(ctx, st.Tenant, store.EventFilter{}, "", int32(*n))
	if err != nil {
		return err
	}
	evs := page.Items
	if len(evs) == 0 {
		fmt.Println("no events yet: try `make send`")
	}
	for _, ev := range evs {
		var env struct {
			ProviderType    string `json:"providertype"`
			ProviderEventID string `json:"providereventid"`
		}
		_ = json.Unmarshal(ev.Envelope, &env)
		fmt.Printf("%s  %-30s  %-20s  %-10s  %s (%s)\n", ev.Time.Format(time.RFC3339), ev.ID, ev.Type, ev.Status, env.ProviderType, env.ProviderEventID)
	}
	return nil
}

// dlq shows a dead-letter queue's messages without consuming them.
func dlq(ctx context.Context, root string, args []string) error {
	fs := flag.NewFlagSet("dlq", flag.ContinueOnError)
	queue := fs.String("queue", topology.QueueEvents, "queue whose DLQ to show")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := runningState(root)
	if err != nil {
		return err
	}
	url, ok := st.DLQs[*queue]
	if !ok {
		return fmt.Errorf("no queue %q", *queue)
	}
	_, q := clients(st)
	msgs, err := local.PeekQueue(ctx, q, url)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d message(s)\n", url, len(msgs))
	for _, m := range msgs {
		fmt.Printf("  %s  received %s times  %s\n", aws.ToString(m.MessageId), m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)], aws.ToString(m.Body))
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
