package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
)

// newAlarmKey is the key of the alarm topic alone. CloudWatch publishes alarms to an
// encrypted topic only when the key's policy lets cloudwatch.amazonaws.com use it, so this
// key says so; the tables' key does not, and is never widened to CloudWatch.
func newAlarmKey(stack awscdk.Stack) awskms.Key {
	key := awskms.NewKey(stack, jsii.String("AlarmKey"), &awskms.KeyProps{
		Description:       jsii.String("WedSync Webhooks: encrypts the alarm topic; CloudWatch may use it to publish alarms"),
		EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchPublishesAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), nil)
	return key
}

// addCursorKey makes the HMAC key list cursors are signed with and gives it to the
// functions that serve /v1: its id in WEDSYNC_CURSOR_KEY_ID (not a secret) and
// kms:GenerateMac on it alone. Each container derives the signing key from it once when it
// starts (api.CursorKeyFromKMS), so no secret value or {{resolve:…}} reference is ever in
// a function's environment.
func (b *Built) addCursorKey(stack awscdk.Stack, props Props) {
	b.CursorKey = awskms.NewKey(stack, jsii.String("CursorKey"), &awskms.KeyProps{
		Description: jsii.String("WedSync Webhooks: the management API derives its list-cursor signing key from this HMAC key"),
		KeySpec:     awskms.KeySpec_HMAC_256, KeyUsage: awskms.KeyUsage_GENERATE_VERIFY_MAC,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, f := range props.Spec.Functions {
		if !servesManagement(f) {
			continue
		}
		b.Functions[f.Name].AddEnvironment(jsii.String("WEDSYNC_CURSOR_KEY_ID"), b.CursorKey.KeyId(), nil)
		b.Roles[f.Name].AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("CursorKey"), Actions: jsii.Strings("kms:GenerateMac"), Resources: jsii.Strings(*b.CursorKey.KeyArn()),
		}))
	}
}
