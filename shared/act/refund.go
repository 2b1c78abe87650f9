package act

import (
	"context"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v85"
)

// Refund runs payment.refund as a Stripe refund of the payment the command carries (or,
// when it names only a booking, the Stripe payment whose metadata records that booking),
// with the command's event id as the idempotency key.
type Refund struct{}

var _ Runner = Refund{}

// AtMostOnce is false: Stripe dedupes by the idempotency key.
func (Refund) AtMostOnce() bool { return false }

// Run refunds.
func (Refund) Run(ctx context.Context, cmd Command) (Outcome, error) {
	var d struct {
		PaymentID    string `json:"payment_id"`
		BookingID    string `json:"booking_id"`
		RefundAmount *int64 `json:"refund_amount"`
		Currency     string `json:"currency"`
	}
	if err := cmd.decode(&d); err != nil || d.RefundAmount == nil || *d.RefundAmount <= 0 {
		return failed("the command has no positive refund_amount", nil), nil
	}
	payment := d.PaymentID
	if payment == "" && d.BookingID != "" {
		found, err := bookingPayment(ctx, cmd.Conn.Stripe, d.BookingID)
		if err != nil {
			return endOf(err)
		}
		payment = found
	}
	if payment == "" {
		return failed(fmt.Sprintf("no Stripe payment to refund: the command names none and no Stripe payment records booking %q", d.BookingID), nil), nil
	}
	params := &stripe.RefundCreateParams{Amount: stripe.Int64(*d.RefundAmount),
		Metadata: map[string]string{"wedsync_command_id": cmd.Event.ID}}
	if d.BookingID != "" {
		params.Metadata["booking_id"] = d.BookingID
	}
	switch {
	case strings.HasPrefix(payment, "pi_"):
		params.PaymentIntent = stripe.String(payment)
	case strings.HasPrefix(payment, "ch_"), strings.HasPrefix(payment, "py_"):
		params.Charge = stripe.String(payment)
	default:
		return failed(fmt.Sprintf("payment %q is not a Stripe payment intent or charge", payment), nil), nil
	}
	params.SetIdempotencyKey(cmd.Event.ID)
	r, err := cmd.Conn.Stripe.V1Refunds.Create(ctx, params)
	if err != nil {
		return endOf(err)
	}
	return succeeded(map[string]any{"refund_id": r.ID, "status": string(r.Status), "amount": r.Amount,
		"currency": strings.ToUpper(string(r.Currency)), "payment_id": payment}), nil
}

// bookingPayment finds the Stripe payment intent whose metadata records the booking.
func bookingPayment(ctx context.Context, sc *stripe.Client, bookingID string) (string, error) {
	query := "metadata['booking_id']:'" + strings.ReplaceAll(bookingID, "'", `\'`) + "'"
	for pi, err := range sc.V1PaymentIntents.Search(ctx, &stripe.PaymentIntentSearchParams{
		SearchParams: stripe.SearchParams{Query: query, Limit: stripe.Int64(1)}}).All(ctx) {
		if err != nil {
			return "", err
		}
		return pi.ID, nil
	}
	return "", nil
}
