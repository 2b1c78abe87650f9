package stack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// Name is the stack's name and id.
const Name = "WedSyncWebhooks"

// Built is the stack with handles on what it made, for tests and outputs.
type Built struct {
	Stack      awscdk.Stack
	Tables     map[string]awsdynamodb.Table
	Queues     map[string]awssqs.Queue
	DLQs       map[string]awssqs.Queue
	Functions  map[string]awslambda.Function
	Roles      map[string]awsiam.Role
	API        awsapigatewayv2.HttpApi
	SecretsKey awskms.Key
	DataKey    awskms.Key
	// CursorKey is the HMAC key the management API derives its cursor key from.
	CursorKey awskms.Key
}

// New builds the stack from the topology. It refuses a retention that CheckRetention refuses,
// and every function's bootstrap must already be built under props.BootstrapDir: one that is
// not answers ErrBootstrap.
func New(scope constructs.Construct, id string, props Props) (*Built, error) {
	props.defaults()
	if err := CheckRetention(props.RetentionDays); err != nil {
		return nil, err
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	b := &Built{Stack: stack, Tables: map[string]awsdynamodb.Table{}, Queues: map[string]awssqs.Queue{},
		DLQs: map[string]awssqs.Queue{}, Functions: map[string]awslambda.Function{}, Roles: map[string]awsiam.Role{}}

	b.DataKey = awskms.NewKey(stack, jsii.String("DataKey"), &awskms.KeyProps{
		Description: jsii.String("WedSync Webhooks: encrypts the tables"), EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	b.SecretsKey = awskms.NewKey(stack, jsii.String("SecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("WedSync Webhooks: wraps the data keys that seal connection and subscription secrets"),
		EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, t := range store.Tables() {
		b.Tables[t.Name] = newTable(stack, t, b.DataKey)
	}
	for _, q := range props.Spec.Queues {
		b.DLQs[q.Name] = awssqs.NewQueue(stack, jsii.String(pascal(q.DLQ())+"Queue"), &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
			RetentionPeriod: awscdk.Duration_Seconds(jsii.Number(q.Retention.Seconds())),
		})
		b.Queues[q.Name] = awssqs.NewQueue(stack, jsii.String(pascal(q.Name)+"Queue"), &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
			RetentionPeriod:   awscdk.Duration_Seconds(jsii.Number(q.Retention.Seconds())),
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(props.Spec.Visibility(q.Name).Seconds())),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{MaxReceiveCount: jsii.Number(float64(q.MaxReceiveCount)), Queue: b.DLQs[q.Name]},
		})
	}

	b.API = newAPI(stack, props)
	for _, f := range props.Spec.Functions {
		if err := b.addFunction(stack, f, props); err != nil {
			return nil, err
		}
	}
	b.addCursorKey(stack, props)
	if err := b.addLimits(stack, props); err != nil {
		return nil, err
	}
	b.addAlarms(stack, props)
	b.addOutputs(stack, props)
	return b, nil
}

func newTable(stack awscdk.Stack, t store.Table, key awskms.Key) awsdynamodb.Table {
	in := t.Create(t.Name)
	attrType := map[string]awsdynamodb.AttributeType{}
	for _, a := range in.AttributeDefinitions {
		attrType[*a.AttributeName] = map[types.ScalarAttributeType]awsdynamodb.AttributeType{
			types.ScalarAttributeTypeS: awsdynamodb.AttributeType_STRING,
			types.ScalarAttributeTypeN: awsdynamodb.AttributeType_NUMBER,
			types.ScalarAttributeTypeB: awsdynamodb.AttributeType_BINARY,
		}[a.AttributeType]
	}
	attr := func(name *string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: name, Type: attrType[*name]}
	}
	keys := func(schema []types.KeySchemaElement) (*awsdynamodb.Attribute, *awsdynamodb.Attribute) {
		var pk, sk *awsdynamodb.Attribute
		for _, k := range schema {
			if k.KeyType == types.KeyTypeHash {
				pk = attr(k.AttributeName)
			} else {
				sk = attr(k.AttributeName)
			}
		}
		return pk, sk
	}
	pk, sk := keys(in.KeySchema)
	props := &awsdynamodb.TableProps{
		PartitionKey: pk, SortKey: sk,
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		DeletionProtection:               jsii.Bool(true),
		Encryption:                       awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:                    key,
		RemovalPolicy:                    awscdk.RemovalPolicy_RETAIN,
	}
	if t.TTLAttribute != "" {
		props.TimeToLiveAttribute = jsii.String(t.TTLAttribute)
	}
	table := awsdynamodb.NewTable(stack, jsii.String(pascal(t.Name)+"Table"), props)
	for _, g := range in.GlobalSecondaryIndexes {
		gpk, gsk := keys(g.KeySchema)
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{IndexName: g.IndexName, PartitionKey: gpk, SortKey: gsk, ProjectionType: awsdynamodb.ProjectionType_ALL}
		switch g.Projection.ProjectionType {
		case types.ProjectionTypeKeysOnly:
			gsi.ProjectionType = awsdynamodb.ProjectionType_KEYS_ONLY
		case types.ProjectionTypeInclude:
			gsi.ProjectionType, gsi.NonKeyAttributes = awsdynamodb.ProjectionType_INCLUDE, jsii.Strings(g.Projection.NonKeyAttributes...)
		}
		table.AddGlobalSecondaryIndex(gsi)
	}
	return table
}

func newAPI(stack awscdk.Stack, props Props) awsapigatewayv2.HttpApi {
	apiProps := &awsapigatewayv2.HttpApiProps{ApiName: jsii.String(Name), CreateDefaultStage: jsii.Bool(false)}
	if len(props.CorsOrigins) > 0 {
		apiProps.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(props.CorsOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_ANY},
			AllowHeaders: jsii.Strings("authorization", "content-type", "idempotency-key"),
		}
	}
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), apiProps)
	logs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: retention(props.RetentionDays), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	stage := awsapigatewayv2.NewHttpStage(stack, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi: api, StageName: jsii.String("$default"), AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(props.ThrottleRate), BurstLimit: jsii.Number(props.ThrottleBurst)},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format: jsii.String(`{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",` +
			`"method":"$context.httpMethod","route":"$context.routeKey","status":"$context.status","latency":"$context.responseLatency",` +
			`"integrationError":"$context.integrationErrorMessage"}`),
	})
	return api
}

// addFunction makes the function, its log group, its role with exactly the grants the
// topology lists, its routes, its event source and its schedules.
func (b *Built) addFunction(stack awscdk.Stack, f topology.Function, props Props) error {
	code, err := bootstrapCode(props.BootstrapDir, f.Name)
	if err != nil {
		return err
	}
	id := pascal(f.Name)
	logGroup := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String("/aws/lambda/" + Name + "-" + f.Name), Retention: retention(props.RetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs " + f.Name + ": " + f.Description),
	})
	b.Roles[f.Name] = role
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logGroup.LogGroupArn()),
	}))
	res := topology.Resources{Tables: map[string]string{}, QueueURLs: map[string]string{}}
	tableNames := make([]string, 0, len(f.Tables))
	for t := range f.Tables {
		tableNames = append(tableNames, t)
	}
	slices.Sort(tableNames)
	for _, t := range tableNames {
		table := b.Tables[t]
		res.Tables[t] = *table.TableName()
		resources := []string{*table.TableArn()}
		if actions := topology.TableActions(f.Tables[t]); slices.Contains(actions, "dynamodb:Query") && hasIndexes(t) {
			resources = append(resources, *table.TableArn()+"/index/*")
		}
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("Table" + pascal(t)),
			Actions:   jsii.Strings(topology.TableActions(f.Tables[t])...),
			Resources: jsii.Strings(resources...),
		}))
	}
	if len(tableNames) > 0 {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("TableKeyThroughDynamoDB"),
			Actions:    jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
			Resources:  jsii.Strings(*b.DataKey.KeyArn()),
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": "dynamodb." + *stack.Region() + ".amazonaws.com"}},
		}))
	}
	queueNames := make([]string, 0, len(f.Queues))
	for q := range f.Queues {
		queueNames = append(queueNames, q)
	}
	slices.Sort(queueNames)
	for _, q := range queueNames {
		if !f.Queues[q].Sends() {
			continue
		}
		res.QueueURLs[q] = *b.Queues[q].QueueUrl()
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("Send" + pascal(q)),
			Actions:   jsii.Strings(topology.QueueActions(f.Queues[q])...),
			Resources: jsii.Strings(*b.Queues[q].QueueArn()),
		}))
	}
	env, err := f.Environment(res)
	if err != nil {
		return fmt.Errorf("environment of %s: %w", f.Name, err)
	}
	env["WEDSYNC_STAGE"] = props.Stage
	env["WEDSYNC_RETENTION"] = strconv.Itoa(props.RetentionDays*24) + "h"
	switch f.Secrets {
	case topology.OpenSecrets, topology.SealSecrets:
		env["WEDSYNC_KMS_KEY_ID"] = *b.SecretsKey.KeyId()
		actions := []string{"kms:Decrypt"}
		if f.Secrets == topology.SealSecrets {
			actions = append(actions, "kms:GenerateDataKey")
		}
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("SecretsKey"), Actions: jsii.Strings(actions...), Resources: jsii.Strings(*b.SecretsKey.KeyArn()),
		}))
	}
	memory := f.MemoryMB
	if m, ok := props.Memory[f.Name]; ok {
		memory = m
	}
	envVars := map[string]*string{}
	for k, v := range env {
		envVars[k] = jsii.String(v)
	}
	fnProps := &awslambda.FunctionProps{
		FunctionName: jsii.String(Name + "-" + f.Name),
		Description:  jsii.String(f.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         code,
		Timeout:      awscdk.Duration_Seconds(jsii.Number(f.Timeout.Seconds())),
		MemorySize:   jsii.Number(float64(memory)),
		Environment:  &envVars,
		Tracing:      awslambda.Tracing_ACTIVE,
		// JSON lines (lambdacontext's handler writes JSON when the runtime says so), each
		// function at its own application log level.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(LogLevel(props.LogLevels, f.Name)),
		Role:                  role,
		LogGroup:              logGroup,
	}
	if rc, ok := props.ReservedConcurrency[f.Name]; ok {
		fnProps.ReservedConcurrentExecutions = jsii.Number(float64(rc))
	}
	fn := awslambda.NewFunction(stack, jsii.String(id+"Function"), fnProps)
	b.Functions[f.Name] = fn
	for _, r := range f.Routes {
		b.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(id+"Integration"), fn, nil),
		})
	}
	if src := f.Source; src != nil {
		fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(b.Queues[src.Queue], &awslambdaeventsources.SqsEventSourceProps{
			BatchSize: jsii.Number(float64(src.BatchSize)), ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency: jsii.Number(float64(src.MaxConcurrency)),
		}))
	}
	for _, s := range f.Schedules {
		awsevents.NewRule(stack, jsii.String(id+pascal(s.Name)+"Rule"), &awsevents.RuleProps{
			Description: jsii.String(fmt.Sprintf("runs %s %s", f.Name, s.Name)),
			Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Seconds(jsii.Number(s.Every.Seconds()))),
			Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, nil)},
		})
	}
	return nil
}

func hasIndexes(table string) bool {
	for _, t := range store.Tables() {
		if t.Name == table {
			return len(t.Create(t.Name).GlobalSecondaryIndexes) > 0
		}
	}
	return false
}

func retention(days int) awslogs.RetentionDays {
	switch {
	case days <= 7:
		return awslogs.RetentionDays_ONE_WEEK
	case days <= 14:
		return awslogs.RetentionDays_TWO_WEEKS
	case days <= 30:
		return awslogs.RetentionDays_ONE_MONTH
	case days <= 90:
		return awslogs.RetentionDays_THREE_MONTHS
	default:
		return awslogs.RetentionDays_ONE_YEAR
	}
}

// pascal turns "ingest-stripe" or "api_keys" into "IngestStripe" / "ApiKeys".
func pascal(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "")
}
