package delivery_test

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/tracing"
)

// TestADeliveryRunIsTraced: in a sampled invocation, every AWS call a delivery makes and its
// POST each arrive at the X-Ray daemon as a subsegment of the invocation's segment.
func TestADeliveryRunIsTraced(t *testing.T) {
	daemon, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Close() })
	e := tracing.New(daemon.LocalAddr().String())
	r := newRig(t, e.AWS())
	r.deliver.Client.Transport = e.Transport(r.deliver.Client.Transport)
	hook := newSubscriber(t)
	sub, _ := r.subscribe(hook.URL, []string{"*"})
	env := r.event("evt_traced", "booking.created")
	parent := tracing.Header{Root: "1-5759e988-bd862e3fe1be46a994272793", Parent: "53995c3f42cd8ad8", Sampled: true}
	if _, err := r.deliver.Handle(tracing.WithParent(context.Background(), parent), r.messages(delivery.DeliveryID(env.ID, sub.ID, 0))); err != nil {
		t.Fatal(err)
	}
	if len(hook.requests()) != 1 {
		t.Fatal("the delivery was not made")
	}
	var names []string
	buf := make([]byte, 64<<10)
	for {
		_ = daemon.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := daemon.Read(buf)
		if err != nil {
			break
		}
		_, body, _ := strings.Cut(string(buf[:n]), "\n")
		var s tracing.Subsegment
		if err := json.Unmarshal([]byte(body), &s); err != nil || s.TraceID != parent.Root || s.ParentID != parent.Parent {
			t.Fatalf("subsegment %s: %v", body, err)
		}
		op, _ := s.AWS["operation"].(string)
		names = append(names, s.Name+" "+op)
	}
	for _, want := range []string{"DynamoDB UpdateItem", "DynamoDB GetItem", "KMS Decrypt", "127.0.0.1 "} {
		if !slices.Contains(names, want) {
			t.Errorf("no subsegment %q among %v", want, names)
		}
	}
}
