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
	cfg, err := ingest.LoadConfig(os.Getenv, paypal.Kind)
	if err == nil {
		var p paypal.Provider
		if p, err = paypal.Configure(cfg.AWS.Stage, cfg.PayPalCertHosts, cfg.PayPalCAPEM); err == nil {
			var h *ingest.Handler
			if h, err = ingest.New(context.Background(), cfg, p); err == nil {
				lambda.Start(h.Handle)
			}
		}
	}
	fmt.Fprintln(os.Stderr, "ingest-paypal:", err)
	os.Exit(1)
}
