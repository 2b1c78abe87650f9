package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/delivery"
	"github.com/wedsync/webhooks/shared/envelope"
	"github.com/wedsync/webhooks/shared/store"
)

// DeliveryStore reads deliveries.
type DeliveryStore interface {
	Get(ctx context.Context, id string) (store.Delivery, error)
	Reschedule(ctx context.Context, tenantID, id string, now time.Time) error
	ListBySubscription(ctx context.Context, subscriptionID, cursor string, limit int32) (store.Page[store.Delivery], error)
}

// TestSender sends test events, retries deliveries and replays events, through the
// ordinary delivery path.
type TestSender interface {
	SendTest(ctx context.Context, sub store.Subscription) (store.Delivery, error)
	Retry(ctx context.Context, deliveries delivery.Rescheduler, tenantID, id string) error
	Replay(ctx context.Context, ev envelope.Envelope, subs []store.Subscription, replay int) ([]string, error)
}

// Delivery is one event on its way to one subscription, with its attempts.
type Delivery struct {
	ID             string          `json:"id"`
	SubscriptionID string          `json:"subscription_id"`
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	MessageID      string          `json:"message_id" doc:"The webhook-id header of every attempt."`
	Status         string          `json:"status" enum:"pending,retrying,delivered,exhausted,failed"`
	NextAttemptAt  *time.Time      `json:"next_attempt_at,omitempty"`
	Attempts       []store.Attempt `json:"attempts"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// Deliveries is a page of deliveries, newest first.
type Deliveries struct {
	Deliveries []Delivery `json:"deliveries"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

func (s *Server) registerDeliveries() {
	tags := []string{"Deliveries"}
	huma.Register(s.api, huma.Operation{OperationID: "list-deliveries", Method: http.MethodGet, Path: "/v1/deliveries",
		Summary: "List a subscription's deliveries, newest first", Tags: tags},
		func(ctx context.Context, in *struct {
			ListInput
			SubscriptionID string `query:"subscription_id" required:"true" maxLength:"64"`
		}) (*Output[Deliveries], error) {
			tenant := tenantOf(ctx)
			if _, err := s.ownedSubscription(ctx, in.SubscriptionID); err != nil {
				return nil, err
			}
			list := "deliveries?" + in.SubscriptionID
			cursor, err := s.Cursors.Open(tenant, list, in.Cursor)
			if err != nil {
				return nil, invalid(ctx, map[string]string{"cursor": err.Error()})
			}
			page, err := s.Deliveries.ListBySubscription(ctx, in.SubscriptionID, cursor, in.Limit)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := Deliveries{Deliveries: []Delivery{}, NextCursor: s.Cursors.Sign(tenant, list, page.Next)}
			for _, d := range page.Items {
				out.Deliveries = append(out.Deliveries, deliveryView(d))
			}
			return ok(out), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-delivery", Method: http.MethodGet, Path: "/v1/deliveries/{id}",
		Summary: "Get a delivery with its attempts", Tags: tags},
		func(ctx context.Context, in *idInput) (*Output[Delivery], error) {
			d, err := s.Deliveries.Get(ctx, in.ID)
			if err != nil || d.TenantID != tenantOf(ctx) {
				if err != nil && !isNotFound(err) {
					return nil, s.fail(ctx, err)
				}
				return nil, notFound(ctx, "delivery")
			}
			return ok(deliveryView(d)), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "retry-delivery", Method: http.MethodPost, Path: "/v1/deliveries/{id}/retry",
		Summary: "Try a delivery that is not delivered again now", Tags: tags, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *idInput) (*Output[Delivery], error) {
			err := s.Tester.Retry(ctx, s.Deliveries, tenantOf(ctx), in.ID)
			switch {
			case errors.Is(err, store.ErrLeased):
				return nil, newError(ctx, http.StatusConflict, "the delivery was delivered already; replay its event instead")
			case err != nil:
				return nil, s.fail(ctx, err)
			}
			d, err := s.Deliveries.Get(ctx, in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(deliveryView(d)), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "test-subscription", Method: http.MethodPost, Path: "/v1/subscriptions/{id}/test",
		Summary: "Send the subscription a signed test event", Tags: []string{"Subscriptions"}, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *idInput) (*Output[Delivery], error) {
			sub, err := s.ownedSubscription(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			d, err := s.Tester.SendTest(ctx, sub)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(deliveryView(d)), nil
		})
}

// Recovered is the answer of a recovery.
type Recovered struct {
	// Recovered is how many failed or exhausted deliveries were made due again.
	Recovered int `json:"recovered"`
	// More says the scan stopped at its bound; call again to continue.
	More bool `json:"more"`
}

// recoverScanLimit bounds the deliveries one recovery looks at.
const recoverScanLimit = 1000

func (s *Server) registerRecover() {
	huma.Register(s.api, huma.Operation{OperationID: "recover-subscription", Method: http.MethodPost, Path: "/v1/subscriptions/{id}/recover",
		Summary: "Try again every failed or exhausted delivery of the subscription created since a time", Tags: []string{"Deliveries"},
		DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Since time.Time `json:"since,omitempty" doc:"Recover deliveries created at or after this time (RFC 3339); all when absent."`
			}
		}) (*Output[Recovered], error) {
			sub, err := s.ownedSubscription(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			var out Recovered
			cursor, scanned := "", 0
			for {
				page, err := s.Deliveries.ListBySubscription(ctx, sub.ID, cursor, 100)
				if err != nil {
					return nil, s.fail(ctx, err)
				}
				for _, d := range page.Items {
					scanned++
					if d.CreatedAt.Before(in.Body.Since) {
						return ok(out), nil
					}
					if d.Status != store.DeliveryFailed && d.Status != store.DeliveryExhausted {
						continue
					}
					if err := s.Tester.Retry(ctx, s.Deliveries, sub.TenantID, d.ID); err != nil {
						return nil, s.fail(ctx, err)
					}
					out.Recovered++
				}
				if cursor = page.Next; cursor == "" {
					return ok(out), nil
				}
				if scanned >= recoverScanLimit {
					out.More = true
					return ok(out), nil
				}
			}
		})
}

func deliveryView(d store.Delivery) Delivery {
	v := Delivery{ID: d.ID, SubscriptionID: d.SubscriptionID, EventID: d.EventID, EventType: d.EventType, MessageID: d.MessageID,
		Status: d.Status, Attempts: d.Attempts, CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
	if v.Attempts == nil {
		v.Attempts = []store.Attempt{}
	}
	if !d.NextAttemptAt.IsZero() {
		t := d.NextAttemptAt.UTC()
		v.NextAttemptAt = &t
	}
	return v
}
