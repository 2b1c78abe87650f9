// Command scheduler is the Lambda the EventBridge schedule runs every minute.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/delivery"
)

func main() {
	h, err := delivery.SchedulerFromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
