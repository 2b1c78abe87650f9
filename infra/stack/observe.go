package stack

import (
	"slices"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
)

// OldestMessageAlarmSeconds is the age of a queue's oldest message that raises an alarm.
const OldestMessageAlarmSeconds = 900

// addAlarms raises an alarm to an SNS topic on any DLQ message, an old queue message, any
// function error and any API 5xx, and draws them on one dashboard.
func (b *Built) addAlarms(stack awscdk.Stack, props Props) {
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("WedSync Webhooks alarms"), EnforceSSL: jsii.Bool(true), MasterKey: newAlarmKey(stack),
	})
	if props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm := func(id string, metric awscloudwatch.IMetric, threshold float64, what string) {
		a := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric: metric, Threshold: jsii.Number(threshold), EvaluationPeriods: jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(what),
		})
		a.AddAlarmAction(action)
	}
	dash := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: jsii.String(Name)})
	var depth, age, errs, invocations []awscloudwatch.IMetric
	for _, q := range sortedKeys(b.Queues) {
		d := b.DLQs[q].MetricApproximateNumberOfMessagesVisible(nil)
		alarm(pascal(q)+"DLQDepthAlarm", d, 0, "messages in the "+q+" DLQ: they crashed or poisoned their consumer")
		o := b.Queues[q].MetricApproximateAgeOfOldestMessage(nil)
		alarm(pascal(q)+"OldestMessageAlarm", o, OldestMessageAlarmSeconds, "the "+q+" queue is falling behind")
		depth, age = append(depth, d), append(age, o)
	}
	for _, f := range sortedKeys(b.Functions) {
		e := b.Functions[f].MetricErrors(nil)
		alarm(pascal(f)+"ErrorsAlarm", e, 0, f+" failed")
		errs, invocations = append(errs, e), append(invocations, b.Functions[f].MetricInvocations(nil))
	}
	server := b.API.MetricServerError(nil)
	alarm("Api5xxAlarm", server, 0, "the HTTP API answered 5xx")
	graph := func(title string, metrics []awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(12)})
	}
	dash.AddWidgets(graph("Invocations", invocations), graph("Function errors", errs))
	dash.AddWidgets(graph("DLQ depth", depth), graph("Oldest message age (s)", age))
	dash.AddWidgets(graph("API requests and 5xx", []awscloudwatch.IMetric{b.API.MetricCount(nil), server}))
}

// addOutputs names what the operator's command (infra/ops) finds the stack by: its stage
// and retention, its tables, queues and DLQs, and the key that seals secrets.
func (b *Built) addOutputs(stack awscdk.Stack, props Props) {
	out := func(id string, value *string, what string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(what)})
	}
	out("ApiUrl", b.API.ApiEndpoint(), "base URL of the webhooks and the management API")
	out("Stage", jsii.String(props.Stage), "the deployment's stage (WEDSYNC_STAGE)")
	out("RetentionDays", jsii.String(strconv.Itoa(props.RetentionDays)), "how long events, deliveries and logs are kept (context retentionDays)")
	out("SecretsKeyId", b.SecretsKey.KeyId(), "the KMS key that seals secrets and remembered answers")
	for _, t := range sortedKeys(b.Tables) {
		out(pascal(t)+"TableName", b.Tables[t].TableName(), "the "+t+" table")
	}
	for _, q := range sortedKeys(b.Queues) {
		out(pascal(q)+"QueueUrl", b.Queues[q].QueueUrl(), "the "+q+" queue")
		out(pascal(q)+"DLQUrl", b.DLQs[q].QueueUrl(), "the "+q+" dead-letter queue")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
