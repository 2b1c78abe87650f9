// Command deliver is the Lambda that consumes the deliveries queue: one signed POST per attempt.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/delivery"
)

func main() {
	h, err := delivery.DeliverFromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deliver:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
