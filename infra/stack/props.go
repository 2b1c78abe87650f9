package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/wedsync/webhooks/shared/topology"
)

// Props are the stack's settings; the CDK app fills them from context.
type Props struct {
	awscdk.StackProps
	Spec topology.Spec
	// BootstrapDir holds <function>/bootstrap, built for arm64 (the CDK app builds them there
	// before it synthesizes; `make build` builds the same binaries).
	BootstrapDir string
	// Stage names the deployment (WEDSYNC_STAGE); never "local" or "test".
	Stage string
	// RetentionDays is how long events, deliveries and logs are kept.
	RetentionDays int
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string
	// CorsOrigins are allowed to call the management API from a browser.
	CorsOrigins []string
	// Memory and ReservedConcurrency override the topology per function name.
	Memory              map[string]int
	ReservedConcurrency map[string]int
	// LogLevels is each function's application log level (TRACE, DEBUG, INFO, WARN, ERROR or
	// FATAL) by function name, "*" for every other function; INFO when unset. Logs are JSON.
	LogLevels map[string]string
	// ThrottleRate and ThrottleBurst limit the HTTP API.
	ThrottleRate  float64
	ThrottleBurst float64
}

func (p *Props) defaults() {
	if p.Spec.Functions == nil {
		p.Spec = topology.Default()
	}
	if p.BootstrapDir == "" {
		p.BootstrapDir = "bin"
	}
	if p.Stage == "" {
		p.Stage = "prod"
	}
	if p.RetentionDays == 0 {
		p.RetentionDays = 30
	}
	if p.ThrottleRate == 0 {
		p.ThrottleRate = 500
	}
	if p.ThrottleBurst == 0 {
		p.ThrottleBurst = 1000
	}
}
