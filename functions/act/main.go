// Command act is the Lambda that consumes the commands queue: it runs each command event
// through the provider's API and records the outcome as an event.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/act"
)

func main() {
	h, err := act.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "act:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
