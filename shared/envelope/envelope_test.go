package envelope_test

import (
	"regexp"
	"testing"

	"github.com/wedsync/webhooks/shared/envelope"
)

func TestEventID(t *testing.T) {
	a := envelope.EventID("conn-1", "evt_stripe_1")
	if !regexp.MustCompile(`^evt_[a-z2-7]{26}$`).MatchString(a) {
		t.Fatalf("EventID = %q, want evt_ and 26 lower-case base32 characters", a)
	}
	if b := envelope.EventID("conn-1", "evt_stripe_1"); a != b {
		t.Fatalf("not stable: %s then %s", a, b)
	}
	for _, other := range [][2]string{{"conn-2", "evt_stripe_1"}, {"conn-1", "evt_stripe_2"}, {"conn-1e", "vt_stripe_1"}} {
		if envelope.EventID(other[0], other[1]) == a {
			t.Fatalf("EventID%v collides with EventID(conn-1, evt_stripe_1)", other)
		}
	}
}

func TestSenderTypes(t *testing.T) {
	for _, typ := range []string{"booking.created", "payment.received", "message.bounced", "contact.unsubscribed"} {
		if !envelope.IsSenderType(typ) {
			t.Errorf("%s should be postable", typ)
		}
	}
	for _, typ := range []string{"email.send", "calendar.block", "provider.unmapped", "subscription.disabled", "booking.created ", ""} {
		if envelope.IsSenderType(typ) {
			t.Errorf("%q should not be postable", typ)
		}
	}
	if !envelope.IsKnownType("integration.sync") || envelope.IsKnownType("wedding.happened") {
		t.Fatal("IsKnownType disagrees with the catalog")
	}
}
