// Command api is the Lambda behind ANY /v1/{proxy+}: the tenants' management API.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/api"
)

func main() {
	s, err := api.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
	lambda.Start(api.Lambda{Handler: s}.Handle)
}
