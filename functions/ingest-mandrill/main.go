// Command ingest-mandrill is the Lambda behind /webhooks/mandrill/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/mandrill"
)

func main() {
	h, err := ingest.FromEnv(context.Background(), os.Getenv, mandrill.Provider{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-mandrill:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
