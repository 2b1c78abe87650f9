package envelope

import (
	"errors"
	"slices"
)

// ErrUnknownVersion says a dated version is not one of Versions.
var ErrUnknownVersion = errors.New("unknown event version")

// A DatedVersion is one dated shape of the events (and of the management API's answers where
// they carry events). Each version after the first changes its predecessor's shape by a
// pair of transforms, up from it and back down to it; events are stored at the latest
// version and rendered at any other by walking the chain.
type DatedVersion struct {
	// Name is the version's date, as subscriptions pin it and WedSync-Version names it.
	Name string
	// Summary says in one sentence what the version changed.
	Summary string
	// Changes lists what changed from the version before, for the changelog.
	Changes []string
	// Deprecated is the date from which the version is deprecated, empty while it is not.
	Deprecated string
	// Sunset is the date after which the version may stop being served, empty when none
	// is set.
	Sunset string

	// up and down change data of type typ and report whether they changed anything.
	up   func(typ string, data *object) bool
	down func(typ string, data *object) bool
}

// versions is the chain, oldest first. The latest version is the last entry, whatever the
// dates say.
var versions = []DatedVersion{
	{
		Name:       "2026-11-01",
		Summary:    "The first version: CloudEvents 1.0 envelopes with the canonical data fields.",
		Deprecated: "2027-01-15",
		Sunset:     "2027-07-15",
		Changes: []string{
			"Events are CloudEvents 1.0 JSON envelopes with the WedSync extensions (tenantid, connectionid, provider, providereventid, providertype, correlationid, causationid, origin, eventversion).",
			"Money is an integer `amount` in minor units with an upper-case ISO 4217 `currency`.",
		},
	},
	{
		Name:    "2027-01-15",
		Summary: "Payment events carry `amount_decimal` and a `customer` object.",
		Changes: []string{
			"`payment.*`, `invoice.paid` and `checkout.completed`: `amount_decimal`, the amount in the currency's major unit as a decimal string with the currency's ISO 4217 exponent (`12345` USD is `\"123.45\"`, `500` JPY is `\"500\"`), whenever `amount` and a known `currency` are present.",
			"The same types: a `customer` object with `id`, `email` and, where the provider sends it, `name`. `customer_id` and `customer_email` stay as they were.",
			"Management API: `GET /v1/events` and `GET /v1/events/{id}` render each envelope at the request's `WedSync-Version` (default: the latest version).",
		},
		up:   paymentsUp,
		down: paymentsDown,
	},
}

// Version is the latest version, the one events are stored at: the last entry of Versions.
var Version = versions[len(versions)-1].Name

// Versions returns the chain, oldest first.
func Versions() []DatedVersion { return slices.Clone(versions) }

// VersionNames returns the versions' names, oldest first.
func VersionNames() []string {
	names := make([]string, len(versions))
	for i, v := range versions {
		names[i] = v.Name
	}
	return names
}

// Latest is the latest version's name: the last entry of Versions.
func Latest() string { return versions[len(versions)-1].Name }

// IsSupported reports whether v names a version of the chain.
func IsSupported(v string) bool { return versionIndex(v) >= 0 }

// LookupVersion returns the version named v.
func LookupVersion(v string) (DatedVersion, bool) {
	i := versionIndex(v)
	if i < 0 {
		return DatedVersion{}, false
	}
	return versions[i], true
}

func versionIndex(v string) int {
	return slices.IndexFunc(versions, func(x DatedVersion) bool { return x.Name == v })
}
