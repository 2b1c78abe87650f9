package stack

import (
	_ "embed"
	"encoding/json"
	"maps"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// recommendedFlagsJSON is aws-cdk-lib's recommended-feature-flags.json at the version go.mod
// pins (what `cdk init` writes into a new project's cdk.json). TestRecommendedFlagsAreThePinnedLibrarys
// fails when an upgrade changes it; refresh it with
//
//	tar -xzOf "$(go list -m -f '{{.Dir}}' github.com/aws/aws-cdk-go/awscdk/v2)"/jsii/aws-cdk-lib-*.tgz \
//	  package/recommended-feature-flags.json > infra/stack/recommended-feature-flags.json
//
//go:embed recommended-feature-flags.json
var recommendedFlagsJSON []byte

// RecommendedFlags returns the feature flags the pinned aws-cdk-lib recommends, with their
// recommended values.
func RecommendedFlags() map[string]any {
	flags := map[string]any{}
	if err := json.Unmarshal(recommendedFlagsJSON, &flags); err != nil {
		panic("stack: the embedded recommended-feature-flags.json is not JSON: " + err.Error())
	}
	return flags
}

// MetadataContext are the context keys that let SAM read the synthesized template.
var MetadataContext = map[string]any{
	"aws:cdk:enable-path-metadata":  true,
	"aws:cdk:enable-asset-metadata": true,
}

// NewApp returns the CDK app every synthesis uses, the CLI's and the tests': its context holds
// the recommended feature flags and MetadataContext, then extra (cdk.json's context when no CLI
// passed it), later keys winning. Context the CLI passes (cdk.json, -c key=value) overrides
// all of them.
func NewApp(extra map[string]any) awscdk.App {
	ctx := RecommendedFlags()
	maps.Copy(ctx, MetadataContext)
	maps.Copy(ctx, extra)
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
}
