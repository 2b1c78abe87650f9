package emulator

import (
	"context"
	"io"
	"os/exec"
	"strconv"
)

// StartStripeMock starts stripe-mock (Stripe's API mock, from .tools/bin) on port (0 picks a
// free one) with its HTTPS listener on another free loopback port: given only -http-addr it
// would open HTTPS on every interface.
func StartStripeMock(ctx context.Context, root string, port int, log io.Writer) (*Process, error) {
	bin, err := Tool(root, "stripe-mock", "run `make tools`")
	if err != nil {
		return nil, err
	}
	httpsPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	return startOnPort(ctx, "stripe-mock", port, log, func(port string) *exec.Cmd {
		return exec.Command(bin, "-http-addr", "127.0.0.1:"+port, "-https-addr", "127.0.0.1:"+strconv.Itoa(httpsPort))
	})
}
