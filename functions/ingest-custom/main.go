// Command ingest-custom is the Lambda behind /webhooks/custom/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/custom"
)

func main() {
	h, err := ingest.FromEnv(context.Background(), os.Getenv, custom.Provider{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-custom:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
