// Command ingest-calendly is the Lambda behind /webhooks/calendly/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/calendly"
)

func main() {
	h, err := ingest.FromEnv(context.Background(), os.Getenv, calendly.Provider{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-calendly:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
