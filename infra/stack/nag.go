package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppressions are the AwsSolutions findings we accept, each with its written reason and,
// for wildcards, exactly which ones.
var Suppressions = []*cdknag.NagPackSuppression{
	{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Query on a table's own global secondary indexes needs <table ARN>/index/*; " +
			"X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so AWS requires Resource *."),
		AppliesTo: &[]interface{}{
			map[string]interface{}{"regex": "/^Resource::<[A-Za-z0-9]+Table[A-Za-z0-9]+\\.Arn>\\/index\\/\\*$/"},
			"Resource::*",
		},
	},
	{
		Id: jsii.String("AwsSolutions-APIG4"),
		Reason: jsii.String("Every route authenticates in its function: webhook routes by the provider's signature " +
			"(or connection secret), /v1 by a bearer API key bound to one tenant. An API Gateway authorizer would add " +
			"latency and cost without adding a check."),
	},
}

// Check adds the cdk-nag AwsSolutions checks to the stack, with our written suppressions.
func Check(stack awscdk.Stack) {
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	cdknag.NagSuppressions_AddStackSuppressions(stack, &Suppressions, jsii.Bool(true))
}
