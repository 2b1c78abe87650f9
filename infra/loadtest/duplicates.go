package loadtest

import (
	"cmp"
	"slices"

	"github.com/wedsync/webhooks/shared/store"
)

// duplicates finds every webhook-id a subscriber answered 2xx more than once and charges
// each extra POST to a kill when the killed deliver runtime had that delivery's earlier 2xx
// POST in flight: its batch held the delivery and the POST arrived between the
// invocation's start and the kill (plus KillSlack). One in-flight POST explains one extra
// POST; the rest are beyond the allowance.
func duplicates(in Inputs, ok2xx map[subWID][]Arrival, byID map[string]store.Delivery) ([]Duplicate, []KillReport) {
	names := map[string]string{}
	for name, id := range in.SubscriptionIDs {
		names[id] = name
	}
	kills := make([]KillReport, len(in.Kills))
	inFlight := map[subWID][]int{}
	for i, k := range in.Kills {
		kills[i] = KillReport{Kill: k}
		if k.Skipped != "" || k.Function != "deliver" {
			continue
		}
		for _, key := range k.Keys {
			d, ok := byID[key]
			if !ok {
				continue
			}
			sw := subWID{names[d.SubscriptionID], d.MessageID}
			inFlight[sw] = append(inFlight[sw], i)
			for _, a := range in.Arrivals {
				if a.Subscriber == sw.sub && a.WebhookID == sw.wid && within(a, k) {
					kills[i].InFlight = append(kills[i].InFlight, InFlightPOST{Subscriber: sw.sub, WebhookID: sw.wid, DeliveryID: d.ID, At: a.At, Status: a.Status})
					if a.Status/100 == 2 {
						kills[i].Allowance++
					}
				}
			}
		}
	}
	byWID := map[subWID]store.Delivery{}
	for _, d := range byID {
		byWID[subWID{names[d.SubscriptionID], d.MessageID}] = d
	}
	var out []Duplicate
	for k, got := range ok2xx {
		if len(got) < 2 {
			continue
		}
		dup := Duplicate{Subscriber: k.sub, WebhookID: k.wid, DeliveryID: byWID[k].ID, EventID: got[0].EventID}
		for _, a := range got {
			dup.Arrivals = append(dup.Arrivals, a.At)
		}
		used := map[int]bool{}
		for _, a := range got[:len(got)-1] {
			for _, ki := range inFlight[k] {
				if !used[ki] && within(a, in.Kills[ki]) {
					used[ki] = true
					dup.Allowed++
					dup.Kills = append(dup.Kills, ki)
					kills[ki].Duplicates++
					break
				}
			}
		}
		out = append(out, dup)
	}
	slices.SortFunc(out, func(a, b Duplicate) int {
		return cmp.Or(cmp.Compare(a.Subscriber, b.Subscriber), a.Arrivals[0].Compare(b.Arrivals[0]))
	})
	return out, kills
}

// within reports whether a POST arrived while k's invocation ran, before the kill.
func within(a Arrival, k Kill) bool {
	return !a.At.Before(k.Started) && !a.At.After(k.At.Add(KillSlack))
}
