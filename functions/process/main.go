// Command process is the Lambda that consumes the events queue.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/process"
)

func main() {
	h, err := process.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "process:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
