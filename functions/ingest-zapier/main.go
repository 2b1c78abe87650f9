// Command ingest-zapier is the Lambda behind /webhooks/zapier/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/zapier"
)

func main() {
	h, err := ingest.FromEnv(context.Background(), os.Getenv, zapier.Provider{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-zapier:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
