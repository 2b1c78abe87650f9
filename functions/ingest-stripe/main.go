// Command ingest-stripe is the Lambda behind /webhooks/stripe/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/stripe"
)

func main() {
	h, err := ingest.FromEnv(context.Background(), os.Getenv, stripe.Provider{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-stripe:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
