package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrQuotaExceeded means the tenant already keeps as many items of a kind as its quota
// allows; deleting one frees room, waiting does not.
var ErrQuotaExceeded = errors.New("quota exceeded")

// QuotaError names the quota a create would have exceeded; it is ErrQuotaExceeded.
type QuotaError struct {
	// Kind is what is counted: "connections" or "subscriptions".
	Kind  string
	Limit int
}

// Error says which quota was reached.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota of %d %s reached", e.Limit, e.Kind)
}

// Is makes a QuotaError match ErrQuotaExceeded.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }

// TransactDB is the part of the DynamoDB client counted writes use.
type TransactDB interface {
	DynamoDB
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ TransactDB = (*dynamodb.Client)(nil)

// Quota bounds how many items of one kind each tenant keeps. The count is one counter item
// per tenant in the rate-limits table (bucket "quota#<kind>#<tenant>", never expiring),
// moved in the same transaction as the item it counts, so concurrent creates cannot pass
// the bound and a failed write leaves no count behind. A tenant's counter starts from a
// count of the items it already has, the first time it is needed.
type Quota struct {
	// Counters is the rate-limits table.
	Counters string
	Kind     string
	Limit    int
}

const (
	quotaUsed         = "used"
	cancelledCheck    = "ConditionalCheckFailed"
	cancelledConflict = "TransactionConflict"
)

func (q Quota) key(tenantID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"bucket": s("quota#" + q.Kind + "#" + tenantID)}
}

// create puts item, which must be new, into table and counts it for tenantID, or answers a
// QuotaError when the tenant is at its limit.
func (q Quota) create(ctx context.Context, db TransactDB, table, what, id, tenantID string, item map[string]types.AttributeValue) error {
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: item, ConditionExpression: aws.String("attribute_not_exists(id)")}},
		{Update: &types.Update{
			TableName: aws.String(q.Counters), Key: q.key(tenantID),
			UpdateExpression:                    aws.String("ADD #used :one"),
			ConditionExpression:                 aws.String("#used < :limit"),
			ExpressionAttributeNames:            map[string]string{"#used": quotaUsed},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":one": n(1), ":limit": n(int64(q.Limit))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
	}
	for started := false; ; started = true {
		reasons, err := transact(ctx, db, items)
		switch {
		case err == nil:
			return nil
		case reasons == nil:
			return fmt.Errorf("create %s %s: %w", what, id, err)
		case reasons[0] == cancelledCheck:
			return fmt.Errorf("%s %s exists: %w", what, id, ErrConflict)
		case slices.Contains(reasons, cancelledConflict):
			return fmt.Errorf("create %s %s: %w: %w", what, id, ErrConflict, err)
		case reasons[1] != cancelledCheck:
			return fmt.Errorf("create %s %s: %w", what, id, err)
		case counterMissing(err) && !started:
			if err := q.start(ctx, db, table, tenantID); err != nil {
				return fmt.Errorf("create %s %s: %w", what, id, err)
			}
		default:
			return fmt.Errorf("create %s %s: %w", what, id, &QuotaError{Kind: q.Kind, Limit: q.Limit})
		}
	}
}

// delete removes tenantID's item id from table and uncounts it. A tenant whose counter has
// not started (or stands at zero) is uncounted by nothing: its counter starts from what
// remains.
func (q Quota) delete(ctx context.Context, db TransactDB, table, what, tenantID, id string) error {
	reasons, err := transact(ctx, db, []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: aws.String(table), Key: map[string]types.AttributeValue{"id": s(id)},
			ConditionExpression:       aws.String("tenant_id = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID)},
		}},
		{Update: &types.Update{
			TableName: aws.String(q.Counters), Key: q.key(tenantID),
			UpdateExpression:          aws.String("ADD #used :minus"),
			ConditionExpression:       aws.String("#used > :zero"),
			ExpressionAttributeNames:  map[string]string{"#used": quotaUsed},
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":zero": n(0)},
		}},
	})
	switch {
	case err == nil:
		return nil
	case reasons == nil:
		return fmt.Errorf("delete %s %s: %w", what, id, err)
	case reasons[0] == cancelledCheck:
		return fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
	case slices.Contains(reasons, cancelledConflict):
		return fmt.Errorf("delete %s %s: %w: %w", what, id, ErrConflict, err)
	case reasons[1] == cancelledCheck:
		return deleteOwned(ctx, db, table, what, tenantID, id)
	}
	return fmt.Errorf("delete %s %s: %w", what, id, err)
}

// transactTries bounds the tries of a counted write that keeps losing to concurrent
// transactions on the same counter.
const transactTries = 4

// transact writes items in one transaction, again while it loses to a concurrent one, and
// returns the cancellation codes of the last try (nil unless it was cancelled).
func transact(ctx context.Context, db TransactDB, items []types.TransactWriteItem) ([]string, error) {
	for try := 1; ; try++ {
		// A fresh input each try: the SDK fills in the idempotency token, which a new try
		// must not reuse.
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		reasons := cancelled(err)
		if !slices.Contains(reasons, cancelledConflict) || try == transactTries {
			return reasons, err
		}
	}
}

// start makes tenantID's counter from a count of the items it has, unless another request
// made it first.
func (q Quota) start(ctx context.Context, db DynamoDB, table, tenantID string) error {
	var count int64
	var start map[string]types.AttributeValue
	for {
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(table), IndexName: aws.String(IndexByTenant),
			KeyConditionExpression:    aws.String("tenant_id = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID)},
			Select:                    types.SelectCount, ExclusiveStartKey: start,
		})
		if err != nil {
			return fmt.Errorf("count %s of tenant %s: %w", q.Kind, tenantID, err)
		}
		count += int64(out.Count)
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	item := q.key(tenantID)
	item[quotaUsed] = n(count)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(q.Counters), Item: item, ConditionExpression: aws.String("attribute_not_exists(#used)"),
		ExpressionAttributeNames: map[string]string{"#used": quotaUsed},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("start the %s count of tenant %s: %w", q.Kind, tenantID, err)
	}
	return nil
}

// cancelled returns the codes of a cancelled transaction's items, or nil when err is not a
// cancellation.
func cancelled(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) < 2 {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

// counterMissing reports whether a create was cancelled because the counter does not exist
// yet (rather than because it stands at the limit).
func counterMissing(err error) bool {
	var tce *types.TransactionCanceledException
	return errors.As(err, &tce) && len(tce.CancellationReasons) > 1 && len(tce.CancellationReasons[1].Item) == 0
}

// CountedSubscriptions is the subscriptions table under a per-tenant quota: Create and
// Delete also move the tenant's count; everything else is Subscriptions'.
type CountedSubscriptions struct {
	*Subscriptions
	Tx    TransactDB
	Quota Quota
}

// Create stores a new subscription and counts it; a QuotaError when the tenant is at its
// quota, ErrConflict when one has its id already.
func (t *CountedSubscriptions) Create(ctx context.Context, sub Subscription) error {
	sub.CreatedSort = createdSortKey(sub.CreatedAt, sub.ID)
	item, err := attributevalue.MarshalMap(sub)
	if err != nil {
		return fmt.Errorf("encode subscription %s: %w", sub.ID, err)
	}
	return t.Quota.create(ctx, t.Tx, t.Table, "subscription", sub.ID, sub.TenantID, item)
}

// Delete removes a tenant's subscription and uncounts it; ErrNotFound when the tenant has
// none by that id.
func (t *CountedSubscriptions) Delete(ctx context.Context, tenantID, id string) error {
	return t.Quota.delete(ctx, t.Tx, t.Table, "subscription", tenantID, id)
}

// CountedConnections is the connections table under a per-tenant quota: Put creates (it
// refuses an id that exists) and Delete uncounts; everything else is Connections'.
type CountedConnections struct {
	*Connections
	Tx    TransactDB
	Quota Quota
}

// Put stores a new connection and counts it; a QuotaError when the tenant is at its quota,
// ErrConflict when one has its id already.
func (c *CountedConnections) Put(ctx context.Context, conn Connection) error {
	return c.Quota.create(ctx, c.Tx, c.Table, "connection", conn.ID, conn.TenantID, connectionItem(conn))
}

// Delete removes a tenant's connection and uncounts it; ErrNotFound when the tenant has none
// by that id.
func (c *CountedConnections) Delete(ctx context.Context, tenantID, id string) error {
	return c.Quota.delete(ctx, c.Tx, c.Table, "connection", tenantID, id)
}
