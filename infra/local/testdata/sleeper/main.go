// Command sleeper is a test runtime for the RIE pool: it answers {"pid": its pid} at once,
// or, when the payload says {"block": true}, never (until it is killed).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in struct {
		Block bool `json:"block"`
	}) (map[string]int, error) {
		if in.Block {
			<-ctx.Done()
		}
		return map[string]int{"pid": os.Getpid()}, nil
	})
}
