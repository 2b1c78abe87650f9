package stack_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/wedsync/webhooks/shared/topology"
)

func logicalID(s awscdk.Stack, c constructs.IConstruct) string {
	return *s.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// refs collects every logical id a CloudFormation value refers to.
func refs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			out = append(out, r)
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) > 0 {
			out = append(out, g[0].(string))
		}
		for _, val := range x {
			out = append(out, refs(val)...)
		}
	case []any:
		for _, val := range x {
			out = append(out, refs(val)...)
		}
	}
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// TestLeastPrivilege reads each function's policies from the template and checks every
// statement against what the topology says the function uses.
func TestLeastPrivilege(t *testing.T) {
	built, _, doc := defaultStack(t)
	st := built.Stack
	resources := doc["Resources"].(map[string]any)
	tableOf, queueOf := map[string]string{}, map[string]string{}
	for name, table := range built.Tables {
		tableOf[logicalID(st, table)] = name
	}
	for name, q := range built.Queues {
		queueOf[logicalID(st, q)] = name
	}
	for name, q := range built.DLQs {
		queueOf[logicalID(st, q)] = name + "-dlq"
	}
	secretsKey, dataKey, cursorKey := logicalID(st, built.SecretsKey), logicalID(st, built.DataKey), logicalID(st, built.CursorKey)

	for _, f := range topology.Default().Functions {
		t.Run(f.Name, func(t *testing.T) {
			role := logicalID(st, built.Roles[f.Name])
			var statements []map[string]any
			for _, r := range resources {
				res := r.(map[string]any)
				if res["Type"] != "AWS::IAM::Policy" {
					continue
				}
				props := res["Properties"].(map[string]any)
				if !slices.Contains(refs(props["Roles"]), role) {
					continue
				}
				for _, s := range asList(props["PolicyDocument"].(map[string]any)["Statement"]) {
					statements = append(statements, s.(map[string]any))
				}
			}
			if len(statements) == 0 {
				t.Fatal("no policy found for the role")
			}
			usedKMS := map[string]bool{}
			for _, s := range statements {
				var actions []string
				for _, a := range asList(s["Action"]) {
					actions = append(actions, a.(string))
				}
				targets := refs(s["Resource"])
				where := fmt.Sprintf("%v on %v", actions, targets)
				if s["Effect"] != "Allow" {
					t.Errorf("unexpected effect: %s", where)
				}
				if s["Resource"] == "*" {
					if !allPrefixed(actions, "xray:") {
						t.Errorf("Resource * for non-X-Ray actions: %s", where)
					}
					continue
				}
				for _, a := range actions {
					if strings.Contains(a, "*") {
						t.Errorf("wildcard action %s", a)
					}
				}
				switch {
				case allPrefixed(actions, "dynamodb:"):
					for _, ref := range targets {
						table, ok := tableOf[ref]
						access, uses := f.Tables[table]
						if !ok || !uses {
							t.Errorf("grant on a table it does not use: %s", where)
							continue
						}
						want := topology.TableActions(access)
						if !sameSet(actions, want) {
							t.Errorf("actions on %s: %v, want exactly %v", table, actions, want)
						}
					}
					if strings.HasPrefix(f.Name, "ingest-") {
						for _, ref := range targets {
							if tableOf[ref] == topology.TableSubscriptions || tableOf[ref] == topology.TableAPIKeys {
								t.Errorf("an ingest function can reach %s", tableOf[ref])
							}
						}
					}
				case allPrefixed(actions, "sqs:"):
					for _, ref := range targets {
						q := queueOf[ref]
						switch {
						case f.Queues[q].Sends() && sameSet(actions, topology.QueueActions(f.Queues[q])):
						case f.Source != nil && q == f.Source.Queue:
						default:
							t.Errorf("queue grant it does not need: %s", where)
						}
					}
				case allPrefixed(actions, "kms:"):
					for _, ref := range targets {
						usedKMS[ref] = true
						switch ref {
						case secretsKey:
							want := []string{"kms:Decrypt"}
							if f.Secrets == topology.SealSecrets {
								want = append(want, "kms:GenerateDataKey")
							}
							if f.Secrets == topology.NoSecrets || !sameSet(actions, want) {
								t.Errorf("secrets key grant %v for a function whose secret use is %d", actions, f.Secrets)
							}
						case dataKey:
							cond := fmt.Sprint(s["Condition"])
							if !strings.Contains(cond, "kms:ViaService") || !strings.Contains(cond, "dynamodb.") {
								t.Errorf("table key usable outside DynamoDB: %s", where)
							}
						case cursorKey:
							if !sameSet(actions, []string{"kms:GenerateMac"}) || !slices.ContainsFunc(f.Routes, func(r topology.Route) bool { return strings.HasPrefix(r.Path, "/v1/") }) {
								t.Errorf("cursor key grant %v to a function that does not serve /v1", actions)
							}
						default:
							t.Errorf("grant on an unknown key: %s", where)
						}
					}
				case allPrefixed(actions, "logs:"):
					if len(targets) != 1 || !strings.HasPrefix(targets[0], pascal(f.Name)+"Logs") {
						t.Errorf("log grant beyond its own log group: %s", where)
					}
				default:
					t.Errorf("unexpected statement: %s", where)
				}
			}
			if f.Secrets != topology.NoSecrets && !usedKMS[secretsKey] {
				t.Error("a function that reads secrets cannot decrypt them")
			}
		})
	}
}

func allPrefixed(actions []string, prefix string) bool {
	for _, a := range actions {
		if !strings.HasPrefix(a, prefix) {
			return false
		}
	}
	return len(actions) > 0
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func pascal(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "")
}
