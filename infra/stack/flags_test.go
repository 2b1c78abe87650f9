package stack_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/wedsync/webhooks/infra/stack"
)

// libraryRecommendedFlags reads recommended-feature-flags.json from the aws-cdk-lib tarball
// the pinned Go module bundles.
func libraryRecommendedFlags(t *testing.T) map[string]any {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatalf("go list the awscdk module: %v", err)
	}
	tarballs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "jsii", "aws-cdk-lib-*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("want one aws-cdk-lib tarball in the awscdk module, found %v", tarballs)
	}
	f, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := tar.NewReader(gz)
	for {
		h, err := r.Next()
		if err != nil {
			t.Fatalf("no recommended-feature-flags.json in %s: %v", tarballs[0], err)
		}
		if h.Name != "package/recommended-feature-flags.json" {
			continue
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		flags := map[string]any{}
		if err := json.Unmarshal(b, &flags); err != nil {
			t.Fatal(err)
		}
		return flags
	}
}

// TestRecommendedFlagsAreThePinnedLibrarys fails when an aws-cdk-go upgrade changes the
// recommended flags, until the embedded copy is refreshed (see flags.go).
func TestRecommendedFlagsAreThePinnedLibrarys(t *testing.T) {
	want := libraryRecommendedFlags(t)
	if got := stack.RecommendedFlags(); !reflect.DeepEqual(got, want) {
		t.Errorf("the embedded recommended flags (%d) differ from the pinned aws-cdk-lib's (%d): refresh infra/stack/recommended-feature-flags.json", len(got), len(want))
	}
}

// TestNoFeatureFlagNeedsAttention reads the feature-flag report of the assembly the tests
// check and applies the CLI's rule (`cdk synth` warns "N feature flags are not configured"):
// no flag may be unset while its unconfigured behaviour differs from its recommended value.
// The tests and the CLI synthesize with the same flags, so the tested template is the
// deployed one.
func TestNoFeatureFlagNeedsAttention(t *testing.T) {
	built, _, _ := defaultStack(t)
	dir := *awscdk.Stage_Of(built.Stack).Synth(nil).Directory()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				Flags map[string]struct {
					RecommendedValue        any            `json:"recommendedValue"`
					UserValue               any            `json:"userValue"`
					UnconfiguredBehavesLike map[string]any `json:"unconfiguredBehavesLike"`
				} `json:"flags"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	reports := 0
	for _, a := range manifest.Artifacts {
		if a.Type != "cdk:feature-flag-report" {
			continue
		}
		reports++
		for name, f := range a.Properties.Flags {
			if f.UserValue != nil {
				continue
			}
			unconfigured, ok := f.UnconfiguredBehavesLike["v2"]
			if !ok {
				unconfigured = false
			}
			if fmt.Sprint(unconfigured) != fmt.Sprint(f.RecommendedValue) {
				t.Errorf("feature flag %s is not configured (recommended %v)", name, f.RecommendedValue)
			}
		}
	}
	if reports == 0 {
		t.Fatal("the assembly has no feature-flag report")
	}
}
