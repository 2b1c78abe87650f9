// Command ingest-mailchimp is the Lambda behind /webhooks/mailchimp/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/mailchimp"
)

func main() {
	h, err := ingest.FromEnv(context.Background(), os.Getenv, mailchimp.Provider{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest-mailchimp:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
