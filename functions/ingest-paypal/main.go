// Command ingest-paypal is the Lambda behind /webhooks/paypal/{connectionId}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wedsync/webhooks/shared/ingest"
	"github.com/wedsync/webhooks/shared/providers/paypal"
)

func main() {
	p, err := paypal.Configure(os.Getenv("WEDSYNC_STAGE"), os.Getenv("WEDSYNC_PAYPAL_CERT_HOSTS"), os.Getenv("WEDSYNC_PAYPAL_CA_PEM"))
	if err == nil {
		var h *ingest.Handler
		if h, err = ingest.FromEnv(context.Background(), p); err == nil {
			lambda.Start(h.Handle)
		}
	}
	fmt.Fprintln(os.Stderr, "ingest-paypal:", err)
	os.Exit(1)
}
