package stack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/shared/api"
	"github.com/wedsync/webhooks/shared/topology"
)

// Limits are a deployment's request limits: API Gateway's throttles, one for the ingest
// routes and another for /v1, so junk on /v1 cannot crowd out providers' webhooks; and each
// tenant's rates and quotas on /v1, passed to the functions that serve it.
type Limits struct {
	IngestRate, IngestBurst float64
	APIRate, APIBurst       float64
	Tenant                  api.Limits
}

// Default API Gateway throttles of /v1 (the ingest routes default to Props.ThrottleRate and
// ThrottleBurst).
const (
	DefaultAPIThrottleRate  = 100
	DefaultAPIThrottleBurst = 200
)

// limitContext are the context parameters of the limits, each with where it goes.
var limitContext = []struct {
	key     string
	integer bool
	field   func(*Limits) any
}{
	{"ingestThrottleRate", false, func(l *Limits) any { return &l.IngestRate }},
	{"ingestThrottleBurst", true, func(l *Limits) any { return &l.IngestBurst }},
	{"apiThrottleRate", false, func(l *Limits) any { return &l.APIRate }},
	{"apiThrottleBurst", true, func(l *Limits) any { return &l.APIBurst }},
	{"apiRatePerSecond", true, func(l *Limits) any { return &l.Tenant.RequestsPerSecond }},
	{"subscriptionQuota", true, func(l *Limits) any { return &l.Tenant.Subscriptions }},
	{"connectionQuota", true, func(l *Limits) any { return &l.Tenant.Connections }},
	{"replaysPerMinute", true, func(l *Limits) any { return &l.Tenant.ReplaysPerMinute }},
	{"recoversPerMinute", true, func(l *Limits) any { return &l.Tenant.RecoversPerMinute }},
	{"testEventsPerMinute", true, func(l *Limits) any { return &l.Tenant.TestEventsPerMinute }},
}

// LimitsFromContext reads the limits' context parameters (cdk.json or -c key=value) seen
// from scope; an absent one takes its default (the ingest throttle's is props'). The error
// names every parameter that is not a positive number (an integer where one is needed).
func LimitsFromContext(scope constructs.Construct, props Props) (Limits, error) {
	props.defaults()
	l := Limits{IngestRate: props.ThrottleRate, IngestBurst: props.ThrottleBurst,
		APIRate: DefaultAPIThrottleRate, APIBurst: DefaultAPIThrottleBurst, Tenant: api.DefaultLimits}
	var bad []string
	for _, p := range limitContext {
		var text string
		switch v := scope.Node().TryGetContext(jsii.String(p.key)).(type) {
		case nil:
			continue
		case string:
			text = strings.TrimSpace(v)
		case float64:
			text = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			bad = append(bad, fmt.Sprintf("%s=%v", p.key, v))
			continue
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || f <= 0 || (p.integer && f != float64(int(f))) {
			bad = append(bad, fmt.Sprintf("%s=%q", p.key, text))
			continue
		}
		switch field := p.field(&l).(type) {
		case *float64:
			*field = f
		case *int:
			*field = int(f)
		}
	}
	if len(bad) > 0 {
		return Limits{}, fmt.Errorf("context parameters must be positive numbers (integers for bursts, quotas and tenant rates): %s",
			strings.Join(bad, ", "))
	}
	return l, nil
}

// addLimits throttles every route at the stage (ingest routes and /v1 apart) and gives the
// functions that serve /v1 the tenants' limits.
func (b *Built) addLimits(stack constructs.Construct, props Props) error {
	l, err := LimitsFromContext(stack, props)
	if err != nil {
		return err
	}
	settings := map[string]any{}
	for _, f := range props.Spec.Functions {
		for _, r := range f.Routes {
			rate, burst := l.IngestRate, l.IngestBurst
			if isManagementRoute(r) {
				rate, burst = l.APIRate, l.APIBurst
			}
			settings[r.Method+" "+r.Path] = map[string]any{"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
		}
		if servesManagement(f) {
			fn := b.Functions[f.Name]
			env := l.Tenant.Env()
			for _, k := range sortedKeys(env) {
				fn.AddEnvironment(jsii.String(k), jsii.String(env[k]), (*awslambda.EnvironmentOptions)(nil))
			}
		}
	}
	stage := stack.Node().FindChild(jsii.String("DefaultStage")).(awsapigatewayv2.HttpStage)
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetRouteSettings(settings)
	// Route settings name routes by key: the routes must exist before the stage.
	stage.Node().AddDependency(b.API)
	return nil
}

func isManagementRoute(r topology.Route) bool { return strings.HasPrefix(r.Path, "/v1/") }

// servesManagement reports whether f answers /v1.
func servesManagement(f topology.Function) bool {
	return slices.ContainsFunc(f.Routes, isManagementRoute)
}
