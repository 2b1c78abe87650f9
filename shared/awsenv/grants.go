package awsenv

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	wsconfig "github.com/wedsync/webhooks/shared/config"
	"github.com/wedsync/webhooks/shared/topology"
)

// ErrNotGranted means a call the function's role would not allow: the topology grants the
// function no such action on that resource (AccessDenied in AWS).
var ErrNotGranted = errors.New("not granted to the function by the topology")

// Grants are what a function's role allows, as the CDK stack writes it from the topology:
// its access to each table (by physical name) and queue (by URL), and its use of secrets.
// The local stack checks every call against them, as IAM does in AWS, so a call the
// topology does not grant fails in the tests and under make dev, not first after a deploy.
type Grants struct {
	Function string
	Tables   map[string]topology.Access
	Queues   map[string]topology.Access
	Secrets  topology.SecretUse
}

// GrantsOf reads f's grants from the variables that name its resources.
func GrantsOf(v *wsconfig.Vars, f topology.Function) *Grants {
	g := &Grants{Function: f.Name, Tables: map[string]topology.Access{}, Queues: map[string]topology.Access{}, Secrets: f.Secrets}
	for t, access := range f.Tables {
		if name := v.String(topology.TableEnv(t)); name != "" {
			g.Tables[name] = access
		}
	}
	for q, access := range f.Queues {
		if url := v.String(topology.QueueEnv(q)); url != "" && access.Sends() {
			g.Queues[url] = access
		}
	}
	return g
}

// Check returns SDK middleware that refuses, before sending it, every call g does not allow.
func (g *Grants) Check() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("WedSyncGrants",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if err := g.allow(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), in.Parameters); err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// allow reports whether g allows op of service with params.
func (g *Grants) allow(service, op string, params any) error {
	for _, need := range needs(service, op, params) {
		var granted []string
		switch service {
		case "DynamoDB":
			granted = topology.TableActions(g.Tables[need.resource])
		case "SQS":
			granted = topology.QueueActions(g.Queues[need.resource])
		case "KMS":
			granted = map[topology.SecretUse][]string{
				topology.OpenSecrets: {"kms:Decrypt"},
				topology.SealSecrets: {"kms:Decrypt", "kms:GenerateDataKey"},
			}[g.Secrets]
		}
		if !slices.Contains(granted, need.action) {
			return fmt.Errorf("%s: %s on %q: %w", g.Function, need.action, need.resource, ErrNotGranted)
		}
	}
	return nil
}

// need is one IAM action on one resource a call takes.
type need struct{ action, resource string }

// needs are the IAM actions a call takes: one per table a batch or transaction names (a
// transaction's items take their own actions), SQS's batch send is SendMessage.
func needs(service, op string, params any) []need {
	switch service {
	case "DynamoDB":
		switch in := params.(type) {
		case *dynamodb.TransactWriteItemsInput:
			var out []need
			for _, item := range in.TransactItems {
				switch {
				case item.Put != nil:
					out = append(out, need{"dynamodb:PutItem", deref(item.Put.TableName)})
				case item.Update != nil:
					out = append(out, need{"dynamodb:UpdateItem", deref(item.Update.TableName)})
				case item.Delete != nil:
					out = append(out, need{"dynamodb:DeleteItem", deref(item.Delete.TableName)})
				case item.ConditionCheck != nil:
					out = append(out, need{"dynamodb:ConditionCheckItem", deref(item.ConditionCheck.TableName)})
				}
			}
			return out
		case *dynamodb.BatchGetItemInput:
			return perTable("dynamodb:BatchGetItem", reflect.ValueOf(in.RequestItems))
		case *dynamodb.BatchWriteItemInput:
			return perTable("dynamodb:BatchWriteItem", reflect.ValueOf(in.RequestItems))
		}
		return []need{{"dynamodb:" + op, tableOf(params)}}
	case "SQS":
		if op == "SendMessageBatch" {
			op = "SendMessage"
		}
		return []need{{"sqs:" + op, stringField(params, "QueueUrl")}}
	case "KMS":
		return []need{{"kms:" + op, stringField(params, "KeyId")}}
	}
	return []need{{service + ":" + op, ""}}
}

func perTable(action string, tables reflect.Value) []need {
	var out []need
	for _, name := range tables.MapKeys() {
		out = append(out, need{action, name.String()})
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// stringField is the *string field name of an operation's input ("" when it has none).
func stringField(params any, name string) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	if f := v.Elem().FieldByName(name); f.IsValid() {
		if s, ok := f.Interface().(*string); ok {
			return deref(s)
		}
	}
	return ""
}
