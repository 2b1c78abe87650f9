package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/emulator"
	"github.com/wedsync/webhooks/shared/providers"
	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Stack is a running local stack.
type Stack struct {
	cfg       Config
	lockFile  *os.File
	emulators []*emulator.Process
	certs     *certServer
	pools     []*Pool
	invokers  map[string]Invoker
	server    *http.Server
	router    *Router
	cancel    context.CancelFunc
	workers   sync.WaitGroup
	state     State
	// DynamoDB and SQS are clients of the stack's emulators.
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	KMS      *kms.Client
}

// Start brings the whole stack up and returns once it serves. On error, whatever was
// started is stopped.
func Start(ctx context.Context, cfg Config) (s *Stack, err error) {
	cfg.defaults()
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, err
	}
	lockFile, err := lock(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	s = &Stack{cfg: cfg, lockFile: lockFile}
	defer func() {
		if err != nil {
			s.Stop()
			s = nil
		}
	}()
	previous, _ := ReadState(cfg.StateDir)

	listener, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (set WEDSYNC_DEV_ADDR to use another address): %w", cfg.Addr, err)
	}
	s.state.Addr = listener.Addr().String()
	s.state.URL = "http://" + s.state.Addr

	bootstraps, err := Build(ctx, cfg.Root, filepath.Join(cfg.StateDir, "bin"), cfg.Spec.Names())
	if err != nil {
		listener.Close()
		return nil, err
	}
	rie, err := emulator.Tool(cfg.Root, "aws-lambda-rie", "run `make tools`")
	if err != nil {
		listener.Close()
		return nil, err
	}
	if err := s.startEmulators(ctx); err != nil {
		listener.Close()
		return nil, err
	}
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	s.DynamoDB = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(s.state.DynamoDB)
		o.DisableValidateResponseChecksum = true
	})
	s.SQS = sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.state.SQS) })
	s.KMS = kms.NewFromConfig(awsCfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(s.state.KMS) })
	if s.state.KMSKeyID, err = devKey(ctx, s.KMS); err != nil {
		listener.Close()
		return nil, err
	}

	if s.state.Tables, err = createTables(ctx, s.DynamoDB, cfg.NamePrefix); err != nil {
		listener.Close()
		return nil, err
	}
	queues, err := createQueues(ctx, s.SQS, cfg.Spec, cfg.NamePrefix, int(cfg.Visibility.Seconds()))
	if err != nil {
		listener.Close()
		return nil, err
	}
	s.state.Queues, s.state.DLQs = map[string]string{}, map[string]string{}
	for name, q := range queues {
		s.state.Queues[name], s.state.DLQs[name] = q.URL, q.DLQURL
	}
	if s.certs, err = startCertServer(cfg.StateDir); err != nil {
		listener.Close()
		return nil, err
	}
	s.state.PayPalCertHost, s.state.PayPalCAPEM = s.certs.host, s.certs.caPEM
	if err := s.seed(ctx, previous); err != nil {
		listener.Close()
		return nil, err
	}

	invokers := map[string]Invoker{}
	for _, f := range cfg.Spec.Functions {
		env, err := s.functionEnv(f)
		if err != nil {
			listener.Close()
			return nil, err
		}
		pool, err := StartPool(ctx, PoolSpec{Name: f.Name, RIE: rie, Bootstrap: bootstraps[f.Name], Env: env,
			Size: cfg.poolSize(f.Name), Logs: cfg.Logs, Verbose: cfg.Verbose, Observe: cfg.Observe})
		if err != nil {
			listener.Close()
			return nil, err
		}
		s.pools = append(s.pools, pool)
		invokers[f.Name] = pool
	}

	s.invokers = invokers
	s.router = NewRouter(cfg.Spec, invokers)
	s.server = &http.Server{Handler: s.router, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(listener) }()

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, f := range cfg.Spec.Functions {
		if f.Source == nil {
			continue
		}
		q := queues[f.Source.Queue]
		for range min(cfg.poolSize(f.Name), max(f.Source.MaxConcurrency, 1)) {
			p := &Poller{Function: f.Name, Queue: s.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: f.Source.BatchSize,
				Invoker: invokers[f.Name], Logs: cfg.Logs, Wait: time.Second}
			s.workers.Go(func() { p.Run(runCtx) })
		}
	}

	for _, f := range cfg.Spec.Functions {
		for _, sch := range f.Schedules {
			every := sch.Every
			if cfg.ScheduleEvery > 0 {
				every = cfg.ScheduleEvery
			}
			ticker := time.NewTicker(every)
			tk := &Ticker{Function: f.Name, Rule: sch.Name, Invoker: invokers[f.Name], Logs: cfg.Logs, Ticks: ticker.C}
			s.workers.Go(func() {
				defer ticker.Stop()
				tk.Run(runCtx)
			})
		}
	}

	s.state.Pids = []int{os.Getpid()}
	for _, p := range s.emulators {
		s.state.Pids = append(s.state.Pids, p.Pid())
	}
	for _, p := range s.pools {
		s.state.Pids = append(s.state.Pids, p.Pids()...)
	}
	s.state.Running = true
	if err := writeState(cfg.StateDir, s.state); err != nil {
		return nil, err
	}
	s.router.SetReady()
	return s, nil
}

func (s *Stack) startEmulators(ctx context.Context) error {
	logs := s.cfg.Logs
	if !s.cfg.Verbose {
		logs = nil
	}
	type start struct {
		endpoint *string
		given    string
		run      func() (*emulator.Process, error)
	}
	for _, e := range []start{
		{&s.state.DynamoDB, s.cfg.DynamoDB, func() (*emulator.Process, error) { return emulator.StartDynamoDB(ctx, s.cfg.Root, 0, logs) }},
		{&s.state.SQS, s.cfg.SQS, func() (*emulator.Process, error) { return emulator.StartSQS(ctx, s.cfg.Root, 0, logs) }},
		{&s.state.KMS, s.cfg.KMS, func() (*emulator.Process, error) {
			return emulator.StartKMS(ctx, s.cfg.Root, 0, filepath.Join(s.cfg.StateDir, "kms"), logs)
		}},
		{&s.state.StripeMock, s.cfg.StripeMock, func() (*emulator.Process, error) { return emulator.StartStripeMock(ctx, s.cfg.Root, 0, logs) }},
	} {
		if e.given != "" {
			*e.endpoint = e.given
			continue
		}
		p, err := e.run()
		if err != nil {
			return err
		}
		s.emulators = append(s.emulators, p)
		*e.endpoint = p.Endpoint
	}
	return nil
}

// seed writes the dev tenant's connections, one per implemented provider, reusing the
// previous run's secrets unless the configuration names others.
func (s *Stack) seed(ctx context.Context, previous State) error {
	s.state.Tenant = s.cfg.Tenant
	s.state.APIKey = firstOf(s.cfg.APIKey, previous.APIKey, "wsk_dev_"+random(24))
	s.state.CursorSecret = firstOf(previous.CursorSecret, random(32))
	tenants := &store.Tenants{DB: s.DynamoDB, Table: s.state.Tables[topology.TableTenants]}
	if err := tenants.Create(ctx, store.Tenant{ID: s.cfg.Tenant, Name: "Dev tenant", CreatedAt: time.Now().UTC()}); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	keys := &store.APIKeys{DB: s.DynamoDB, Table: s.state.Tables[topology.TableAPIKeys]}
	if err := keys.Put(ctx, store.APIKey{Hash: store.HashKey(s.state.APIKey), TenantID: s.cfg.Tenant, TenantName: "Dev tenant", CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	s.state.Connections = map[string]ConnectionState{}
	conns := &store.Connections{DB: s.DynamoDB, Table: s.state.Tables[topology.TableConnections]}
	sealer := &secrets.Envelope{Client: s.KMS, KeyID: s.state.KMSKeyID}
	for _, kind := range ImplementedKinds(s.cfg.Spec) {
		id := "dev-" + kind
		secret := firstOf(s.cfg.Secrets[kind], previous.Connections[kind].Secret, devSecret(kind))
		ingestURL := s.state.URL + "/webhooks/" + kind + "/" + id
		var config map[string]string
		if kind == "mandrill" {
			config = map[string]string{"url": ingestURL}
		}
		sealed, err := secrets.SealSet(ctx, sealer, secrets.Scope{TenantID: s.cfg.Tenant, ResourceID: id}, secrets.Set{{Secret: secret}})
		if err != nil {
			return err
		}
		if err := conns.Put(ctx, store.Connection{ID: id, TenantID: s.cfg.Tenant, Kind: kind, Status: store.ConnectionActive,
			Config: config, SealedSecrets: sealed, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
		cs := ConnectionState{ID: id, Kind: kind, IngestURL: ingestURL, Secret: secret}
		if kind == "paypal" {
			cs.CertURL, cs.SignerKey = s.certs.certURL, s.certs.keyPath
		}
		s.state.Connections[kind] = cs
	}
	return s.seedCredentials(ctx, sealer)
}

// ImplementedKinds lists the providers that have both a package and an ingest function.
func ImplementedKinds(spec topology.Spec) []string {
	var kinds []string
	for kind := range providers.Registry() {
		if _, ok := spec.Function("ingest-" + kind); ok {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

func (s *Stack) functionEnv(f topology.Function) ([]string, error) {
	return FunctionEnv(f, s.state, s.cfg.Env)
}

// FunctionEnv is the environment a function runs with in a stack: the Lambda variables, the
// emulators' endpoints, the local stage and its resources' names, then extra.
func FunctionEnv(f topology.Function, st State, extra []string) ([]string, error) {
	res, err := f.Environment(topology.Resources{Tables: st.Tables, QueueURLs: st.Queues})
	if err != nil {
		return nil, err
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_NAME=" + f.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(f.Timeout.Seconds())),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(f.MemoryMB),
		// As the CDK stack sets them: JSON lines through lambdacontext's handler.
		"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=INFO",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_DYNAMODB=" + st.DynamoDB,
		"AWS_ENDPOINT_URL_SQS=" + st.SQS,
		"AWS_ENDPOINT_URL_KMS=" + st.KMS,
		"WEDSYNC_STAGE=" + secrets.StageLocal,
		"WEDSYNC_KMS_KEY_ID=" + st.KMSKeyID,
		"WEDSYNC_CONNECTION_CACHE_TTL=0s",
		"WEDSYNC_CURSOR_SECRET=" + st.CursorSecret,
		"WEDSYNC_PUBLIC_URL=" + st.URL,
		"WEDSYNC_ALLOW_LOOPBACK_ENDPOINTS=true",
	}
	for k, v := range res {
		env = append(env, k+"="+v)
	}
	if slices.ContainsFunc(f.Routes, func(r topology.Route) bool { return strings.HasPrefix(r.Path, "/v1/") }) {
		// The tenants' limits, at their defaults; WEDSYNC_QUOTA_* and WEDSYNC_RATE_* in extra
		// (the developer's environment) come later and win.
		for k, v := range api.DefaultLimits.Env() {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, connectorEnv(f, st)...)
	if f.Name == "ingest-paypal" && st.PayPalCertHost != "" {
		env = append(env, "WEDSYNC_PAYPAL_CERT_HOSTS="+st.PayPalCertHost, "WEDSYNC_PAYPAL_CA_PEM="+st.PayPalCAPEM)
	}
	return append(env, extra...), nil
}

// Invoke runs one invocation of a function of the stack, as the router and pollers do.
func (s *Stack) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	inv, ok := s.invokers[function]
	if !ok {
		return nil, fmt.Errorf("no function %q", function)
	}
	return inv.Invoke(ctx, payload)
}

// State returns what the stack wrote to stack.json.
func (s *Stack) State() State { return s.state }

// Stop ends everything the stack started and releases its lock.
func (s *Stack) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.server.Shutdown(ctx)
		cancel()
	}
	s.workers.Wait()
	for _, p := range s.pools {
		p.Stop()
	}
	s.certs.stop()
	for _, p := range s.emulators {
		p.Stop()
	}
	if s.state.Running {
		s.state.Running = false
		s.state.Pids = nil
		_ = writeState(s.cfg.StateDir, s.state)
	}
	if s.lockFile != nil {
		_ = s.lockFile.Close()
	}
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// NewSecret returns a fresh Standard Webhooks secret: whsec_ and 32 random bytes, base64.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed"))
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed"))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
