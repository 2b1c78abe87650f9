package api

// Example ids: the replay test of the document's examples maps each to a resource it made.
const (
	exampleAPIKeyID       = "key_x7k2m4p6q8r1s3t5v7w9"
	exampleConnectionID   = "conn_q3r5t7v9x2z4b6d8f1h3"
	exampleSubscriptionID = "sub_m4p6q8r1s3t5v7w9x2k7"
	exampleEventID        = "evt_xqkxp7d66lbs7nciyres53affl"
	exampleDeliveryID     = "dlv_7c4xk2m9qv5rtz3wb8nd6hj4fa"
	exampleJobID          = "job_k3m5p7r2t4v6x2z3b5d7"
)

// example is an operation's example request: its body and its parameters' values.
type example struct {
	Body   map[string]any
	Params map[string]any
}

var (
	listParam = map[string]any{"limit": 25}
)

// examples are the example requests of the document, by operation id. Every operation has
// one, and a test replays each against the API.
var examples = map[string]example{
	"list-event-types":           {},
	"create-api-key":             {Body: map[string]any{"name": "CI deploys", "expires_at": "2027-12-31T00:00:00Z"}},
	"list-api-keys":              {Params: listParam},
	"revoke-api-key":             {Params: map[string]any{"id": exampleAPIKeyID}},
	"create-connection":          {Body: map[string]any{"kind": "stripe", "name": "Stripe (live)", "secret": "whsec_Q2hhbmdlTWVJbkRhc2hib2FyZDEyMzQ1Njc4"}},
	"list-connections":           {Params: listParam},
	"get-connection":             {Params: map[string]any{"id": exampleConnectionID}},
	"rotate-connection-secret":   {Params: map[string]any{"id": exampleConnectionID}, Body: map[string]any{"secret": "whsec_TmV3U2VjcmV0RnJvbVN0cmlwZURhc2hib2FyZA"}},
	"put-connection-credentials": {Params: map[string]any{"id": exampleConnectionID}, Body: map[string]any{"api_key": "rk_test_51PQa1b2C3d4E5f6GExampleRestrictedKey"}},
	"disable-connection":         {Params: map[string]any{"id": exampleConnectionID}},
	"enable-connection":          {Params: map[string]any{"id": exampleConnectionID}},
	"delete-connection":          {Params: map[string]any{"id": exampleConnectionID}},
	"create-subscription": {Body: map[string]any{
		"endpoint_url": "https://hooks.lumiere.example/wedsync", "description": "Bookings and payments to our CRM",
		"event_types": []string{"booking.*", "payment.received"}, "event_version": "2027-01-15",
		"retry_policy": map[string]any{"max_attempts": 6, "backoff_strategy": "exponential", "initial_delay_seconds": 30},
	}},
	"list-subscriptions":         {Params: map[string]any{"limit": 25, "active": "true", "event_type": "payment.received"}},
	"get-subscription":           {Params: map[string]any{"id": exampleSubscriptionID}},
	"update-subscription":        {Params: map[string]any{"id": exampleSubscriptionID}, Body: map[string]any{"event_version": "2026-11-01", "description": "Pinned to the first version until our CRM reads amount_decimal"}},
	"rotate-subscription-secret": {Params: map[string]any{"id": exampleSubscriptionID}},
	"test-subscription":          {Params: map[string]any{"id": exampleSubscriptionID}},
	"recover-subscription":       {Params: map[string]any{"id": exampleSubscriptionID}, Body: map[string]any{"since": "2026-11-24T00:00:00Z"}},
	"delete-subscription":        {Params: map[string]any{"id": exampleSubscriptionID}},
	"list-events":                {Params: map[string]any{"limit": 25, "type": "payment.received", "since": "2026-11-01T00:00:00Z"}},
	"get-event":                  {Params: map[string]any{"id": exampleEventID}},
	"replay-event":               {Params: map[string]any{"id": exampleEventID}, Body: map[string]any{"subscription_id": exampleSubscriptionID}},
	"list-deliveries":            {Params: map[string]any{"limit": 25, "subscription_id": exampleSubscriptionID}},
	"get-delivery":               {Params: map[string]any{"id": exampleDeliveryID}},
	"retry-delivery":             {Params: map[string]any{"id": exampleDeliveryID}},
	"get-changelog":              {},
	"erase-contact":              {Body: map[string]any{"email": "jane.doe@example.com"}},
	"get-job":                    {Params: map[string]any{"id": exampleJobID}},
}
