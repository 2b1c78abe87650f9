package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrLeased means another worker holds the delivery, or it is no longer live.
var ErrLeased = errors.New("delivery is leased or final")

// HeldError is the ErrLeased of a live delivery that another lease holds: whose, and until
// when.
type HeldError struct {
	ID    string
	Owner string
	Until time.Time
}

// Error says who holds the delivery until when.
func (e *HeldError) Error() string {
	return fmt.Sprintf("delivery %s is leased by %s until %s", e.ID, e.Owner, e.Until.Format(time.RFC3339Nano))
}

// Is makes a HeldError an ErrLeased.
func (e *HeldError) Is(target error) bool { return target == ErrLeased }

// ErrNotDue means the delivery's next attempt is not due yet.
var ErrNotDue = errors.New("delivery is not due")

// LeaseGrace is how long before its next attempt a delivery may be leased: SQS delays are
// whole seconds and containers' clocks differ a little.
const LeaseGrace = time.Second

// MaxAttemptLog is how many of the latest attempts a delivery's log keeps, so its item stays
// far below DynamoDB's 400 KB whatever the number of manual retries.
const MaxAttemptLog = 20

// Outcome is what the holder of a lease decided for a delivery; Release writes it.
type Outcome struct {
	// Status is the delivery's status after the run.
	Status string
	// NextAttemptAt is when the next run is due; ignored when Status is final.
	NextAttemptAt time.Time
	// Attempt, when set, is the attempt the run made; it joins the log.
	Attempt *Attempt
	// Reason is why the delivery is final, or the error that pushed it back; "" clears it.
	Reason string
	// Faults and Holds are the new counts of runs in a row that erred or were held.
	Faults, Holds int
	// RateSlotAt is the rate limit's reservation for the next attempt, if any.
	RateSlotAt time.Time
	// At is when the run ended.
	At time.Time
}

// Lease claims a live delivery that is due (within LeaseGrace) for owner until until. It
// fails with ErrNotFound when there is no such delivery, ErrLeased when it is final or
// another worker holds it (then a *HeldError), and ErrNotDue when its next attempt is later.
// It returns the delivery as leased.
func (t *Deliveries) Lease(ctx context.Context, id, owner string, now, until time.Time) (Delivery, error) {
	return t.lease(ctx, id, owner, now, until, nil)
}

// CreateOrLease leases the delivery d describes as Lease does, creating its record in the
// same conditional write when there is none: d's fields as of its creation (pending, no
// attempt, listed by subscription, not in the due index: a retry or a hold puts it there)
// are written only where the record lacks them. Two copies of d's message cannot both
// lease it; a copy that comes once it is delivered, leased or not due fails as Lease does.
func (t *Deliveries) CreateOrLease(ctx context.Context, d Delivery, owner string, now, until time.Time) (Delivery, error) {
	fields := map[string]types.AttributeValue{
		"tenant_id": s(d.TenantID), "subscription_id": s(d.SubscriptionID), "event_id": s(d.EventID),
		"event_type": s(d.EventType), "message_id": s(d.MessageID), "replay": n(int64(d.Replay)),
		"status": s(DeliveryPending), "created_at": s(d.CreatedAt.UTC().Format(time.RFC3339Nano)),
		"updated_at": s(d.CreatedAt.UTC().Format(time.RFC3339Nano)), "sub_sort": s(createdSortKey(d.CreatedAt, d.ID)),
		"attempts": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
	}
	if !d.ExpiresAt.IsZero() {
		fields["expires_at"] = n(d.ExpiresAt.Unix())
	}
	return t.lease(ctx, d.ID, owner, now, until, fields)
}

// lease writes the lease, and create's fields where the item lacks them; with create nil
// only an existing delivery is leased.
func (t *Deliveries) lease(ctx context.Context, id, owner string, now, until time.Time, create map[string]types.AttributeValue) (Delivery, error) {
	names := map[string]string{"#status": "status"}
	values := map[string]types.AttributeValue{
		":until": n(millis(until)), ":owner": s(owner), ":now": n(millis(now)), ":due": n(millis(now.Add(LeaseGrace))),
		":pending": s(DeliveryPending), ":retrying": s(DeliveryRetrying),
	}
	set := []string{"lease_until = :until", "lease_owner = :owner"}
	leasable := "#status IN (:pending, :retrying)" +
		" AND (attribute_not_exists(lease_until) OR lease_until < :now)" +
		" AND (attribute_not_exists(next_attempt_at) OR next_attempt_at <= :due)"
	cond := "attribute_exists(id) AND " + leasable
	if create != nil {
		cond = "attribute_not_exists(id) OR (" + leasable + ")"
		for _, name := range slices.Sorted(maps.Keys(create)) {
			ref := "#" + name
			if name == "status" {
				ref = "#status"
			}
			names[ref], values[":"+name] = name, create[name]
			set = append(set, ref+" = if_not_exists("+ref+", :"+name+")")
		}
	}
	out, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(t.Table),
		Key:                                 map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:                    aws.String("SET " + strings.Join(set, ", ")),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		old := ccf.Item
		status := getS(old, "status")
		switch {
		case old == nil:
			return Delivery{}, fmt.Errorf("delivery %s: %w", id, ErrNotFound)
		case getS(old, "lease_owner") == owner && getN(old, "lease_until") == millis(until):
			// An earlier try of this very call was applied and its answer lost (the SDK tried
			// again): the lease is owner's.
			return deliveryFromItem(old)
		case status != DeliveryPending && status != DeliveryRetrying:
			return Delivery{}, fmt.Errorf("delivery %s: %w", id, ErrLeased)
		case getN(old, "lease_until") >= millis(now):
			return Delivery{}, &HeldError{ID: id, Owner: getS(old, "lease_owner"), Until: fromMillis(getN(old, "lease_until"))}
		}
		return Delivery{}, fmt.Errorf("delivery %s due at %s: %w", id, fromMillis(getN(old, "next_attempt_at")).Format(time.RFC3339), ErrNotDue)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("lease delivery %s: %w", id, err)
	}
	return deliveryFromItem(out.Attributes)
}

// Release records o for the delivery owner leased (as Lease returned it) and ends the lease.
// It writes only the fields o changes, and keeps a Reschedule made during the lease: unless
// o delivered, the delivery stays due when the Reschedule made it due. It fails with ErrLeased
// when owner no longer holds the lease, and returns the delivery as released.
func (t *Deliveries) Release(ctx context.Context, leased Delivery, owner string, o Outcome) (Delivery, error) {
	d := leased.apply(o)
	for range 3 {
		old, err := t.release(ctx, d, owner, o.Attempt != nil, leased.Reschedules)
		switch {
		case err != nil:
			return Delivery{}, err
		case old == nil:
			return d, nil
		case getS(old, "lease_owner") != owner:
			return Delivery{}, fmt.Errorf("delivery %s: %w", d.ID, ErrLeased)
		}
		// A Reschedule came during the lease: write again, keeping it.
		leased.Reschedules = int(getN(old, "reschedules"))
		d.Reschedules = leased.Reschedules
		if d.Status != DeliveryDelivered {
			d.Status, d.NextAttemptAt = DeliveryRetrying, fromMillis(getN(old, "next_attempt_at"))
			if d.NextAttemptAt.IsZero() {
				d.NextAttemptAt = o.At
			}
			d.Faults, d.Holds, d.RateSlotAt = 0, 0, time.Time{}
		}
	}
	return Delivery{}, fmt.Errorf("delivery %s: rescheduled again and again: %w", d.ID, ErrLeased)
}

// apply returns d after o.
func (d Delivery) apply(o Outcome) Delivery {
	d.Status, d.NextAttemptAt = o.Status, o.NextAttemptAt
	if !d.Live() {
		d.NextAttemptAt = time.Time{}
	}
	if o.Attempt != nil {
		log := append(append([]Attempt(nil), d.Attempts...), *o.Attempt)
		d.Attempts = log[max(0, len(log)-MaxAttemptLog):]
		d.AttemptCount++
	}
	d.Reason, d.Faults, d.Holds, d.RateSlotAt = o.Reason, o.Faults, o.Holds, o.RateSlotAt
	d.LeaseOwner, d.LeaseUntil, d.UpdatedAt = "", time.Time{}, o.At
	return d
}

// release writes d's run fields under owner's lease, provided no Reschedule came after
// seen. When the condition fails it returns the item as it was (ErrLeased when it is gone).
func (t *Deliveries) release(ctx context.Context, d Delivery, owner string, logged bool, seen int) (map[string]types.AttributeValue, error) {
	set := []string{"#status = :status", "updated_at = :at"}
	remove := []string{"lease_owner", "lease_until"}
	values := map[string]types.AttributeValue{
		":status": s(d.Status), ":at": s(d.UpdatedAt.UTC().Format(time.RFC3339Nano)), ":owner": s(owner), ":seen": n(int64(seen)),
	}
	if logged {
		attempts, err := attributevalue.Marshal(d.Attempts)
		if err != nil {
			return nil, fmt.Errorf("encode attempts of delivery %s: %w", d.ID, err)
		}
		set = append(set, "attempts = :log", "attempt_count = :count")
		values[":log"], values[":count"] = attempts, n(int64(d.AttemptCount))
	}
	if d.Live() {
		set = append(set, "due_shard = :shard", "next_attempt_at = :next")
		values[":shard"], values[":next"] = n(dueShard(d.ID)), n(millis(d.NextAttemptAt))
	} else {
		remove = append(remove, "due_shard", "next_attempt_at")
	}
	optional := []struct {
		name  string
		value types.AttributeValue
		keep  bool
	}{
		{"reason", s(d.Reason), d.Reason != ""},
		{"faults", n(int64(d.Faults)), d.Faults != 0},
		{"holds", n(int64(d.Holds)), d.Holds != 0},
		{"rate_slot", n(millis(d.RateSlotAt)), !d.RateSlotAt.IsZero()},
	}
	for _, f := range optional {
		if !f.keep {
			remove = append(remove, f.name)
			continue
		}
		set = append(set, f.name+" = :"+f.name)
		values[":"+f.name] = f.value
	}
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(t.Table),
		Key:                                 map[string]types.AttributeValue{"id": s(d.ID)},
		UpdateExpression:                    aws.String("SET " + strings.Join(set, ", ") + " REMOVE " + strings.Join(remove, ", ")),
		ConditionExpression:                 aws.String("lease_owner = :owner AND (attribute_not_exists(reschedules) OR reschedules = :seen)"),
		ExpressionAttributeNames:            map[string]string{"#status": "status"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil {
			return nil, fmt.Errorf("delivery %s: %w", d.ID, ErrLeased)
		}
		return ccf.Item, nil
	}
	if err != nil {
		return nil, fmt.Errorf("release delivery %s: %w", d.ID, err)
	}
	return nil, nil
}

// Reschedule makes a tenant's delivery that is not delivered due again now: live, with its
// attempts kept and its error and hold counts cleared. A delivery under way keeps this when
// its attempt is recorded, unless that attempt delivered it. It fails with ErrNotFound for
// another tenant's or an unknown delivery and ErrLeased for a delivered one.
func (t *Deliveries) Reschedule(ctx context.Context, tenantID, id string, now time.Time) error {
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Table),
		Key:       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression: aws.String("SET #status = :retrying, due_shard = :shard, next_attempt_at = :now, updated_at = :at" +
			" ADD reschedules :one REMOVE faults, holds, rate_slot"),
		ConditionExpression:      aws.String("tenant_id = :t AND #status <> :delivered"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":retrying": s(DeliveryRetrying), ":shard": n(dueShard(id)), ":now": n(millis(now)), ":one": n(1),
			":at": s(now.UTC().Format(time.RFC3339Nano)), ":t": s(tenantID), ":delivered": s(DeliveryDelivered),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if getS(ccf.Item, "tenant_id") == tenantID {
			return fmt.Errorf("delivery %s: %w", id, ErrLeased)
		}
		return fmt.Errorf("delivery %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("reschedule delivery %s: %w", id, err)
	}
	return nil
}
