package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Action statuses.
const (
	ActionRunning = "running"
	ActionDone    = "done"
	ActionSkipped = "skipped"
)

// ErrActionBusy means another worker holds an unexpired lease on the action.
var ErrActionBusy = errors.New("action is leased by another worker")

// Action is the small record that makes a command run once in effect: who runs it, until
// when, how many times it was started, and how it ended.
type Action struct {
	ID         string
	Status     string
	LeaseUntil time.Time
	// Attempts counts the leases taken, this one included: more than one means an earlier
	// run stopped without recording an outcome.
	Attempts  int
	OutcomeID string
	UpdatedAt time.Time
}

// Actions is the table of action records, keyed by the command's event id.
type Actions struct {
	DB    DynamoDB
	Table string
}

// Lease claims the action id until until. It returns the action as leased; an action that
// has ended is returned as it is, unleased; ErrActionBusy when another holds it.
func (a *Actions) Lease(ctx context.Context, id string, now, until, expires time.Time) (Action, error) {
	out, err := a.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(a.Table),
		Key:                      map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:         aws.String("SET #status = :running, lease_until = :until, updated_at = :now, expires_at = :exp ADD attempts :one"),
		ConditionExpression:      aws.String("attribute_not_exists(id) OR (#status = :running AND lease_until < :now)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":running": s(ActionRunning), ":until": n(millis(until)), ":now": n(millis(now)), ":exp": n(expires.Unix()), ":one": n(1),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return actionFromItem(out.Attributes), nil
	case errors.As(err, &ccf):
		act := actionFromItem(ccf.Item)
		if act.Status == ActionRunning {
			return act, fmt.Errorf("action %s: %w", id, ErrActionBusy)
		}
		return act, nil
	default:
		return Action{}, fmt.Errorf("lease action %s: %w", id, err)
	}
}

// Finish records how the action ended and drops its lease.
func (a *Actions) Finish(ctx context.Context, id, status, outcomeID string, now time.Time) error {
	values := map[string]types.AttributeValue{":status": s(status), ":now": n(millis(now))}
	update := "SET #status = :status, updated_at = :now REMOVE lease_until"
	if outcomeID != "" {
		update = "SET #status = :status, updated_at = :now, outcome_id = :outcome REMOVE lease_until"
		values[":outcome"] = s(outcomeID)
	}
	_, err := a.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(a.Table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("finish action %s: %w", id, err)
	}
	return nil
}

// Release ends a running action's lease at once and uncounts its attempt, for a run that
// stopped before calling anyone: the next delivery of its command may run it without
// waiting for the lease to expire.
func (a *Actions) Release(ctx context.Context, id string) error {
	_, err := a.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(a.Table),
		Key:                       map[string]types.AttributeValue{"id": s(id)},
		UpdateExpression:          aws.String("SET lease_until = :zero ADD attempts :minus"),
		ConditionExpression:       aws.String("#status = :running"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": n(0), ":minus": n(-1), ":running": s(ActionRunning)},
	})
	_, err = conditional(err, "release action "+id)
	return err
}

func actionFromItem(item map[string]types.AttributeValue) Action {
	return Action{
		ID: getS(item, "id"), Status: getS(item, "status"), LeaseUntil: fromMillis(getN(item, "lease_until")),
		Attempts: int(getN(item, "attempts")), OutcomeID: getS(item, "outcome_id"), UpdatedAt: fromMillis(getN(item, "updated_at")),
	}
}
