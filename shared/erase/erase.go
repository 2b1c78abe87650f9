package erase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wedsync/webhooks/shared/secrets"
	"github.com/wedsync/webhooks/shared/store"
	"github.com/wedsync/webhooks/shared/topology"
)

// DynamoDB is the part of the DynamoDB client an erasure uses.
type DynamoDB interface {
	store.Scanner
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ DynamoDB = (*dynamodb.Client)(nil)

// ErrNoTenant means an erasure names no tenant.
var ErrNoTenant = errors.New("an erasure needs a tenant")

// ErrBusy means an item kept changing under the erasure; running it again finishes it.
var ErrBusy = errors.New("an item kept changing while it was rewritten")

// table is one table an erasure reads: its key and how its tenant's items are told apart.
type table struct {
	name string
	key  string
	// scan narrows a scan to the tenant's items.
	scan func(tenant string) (filter string, names map[string]string, values map[string]types.AttributeValue)
	// sealed names an attribute that holds a sealed value, and the scope it is sealed in.
	sealed string
	scope  func(tenant string, item map[string]types.AttributeValue) secrets.Scope
}

func byTenantID(tenant string) (string, map[string]string, map[string]types.AttributeValue) {
	return "tenant_id = :t", nil, map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: tenant}}
}

// Tables are the tables an erasure reads, in order: events (root and derived, with their
// bodies), deliveries (attempt logs) and the remembered answers of /v1 writes, whose keys
// begin with the tenant and whose answers are sealed for it.
var Tables = []table{
	{name: topology.TableEvents, key: "id", scan: byTenantID},
	{name: topology.TableDeliveries, key: "id", scan: byTenantID},
	{name: topology.TableIdempotencyKeys, key: "scope",
		scan: func(tenant string) (string, map[string]string, map[string]types.AttributeValue) {
			return "begins_with(#scope, :p)", map[string]string{"#scope": "scope"},
				map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: tenant + "\x00"}}
		},
		sealed: "sealed_body",
		scope: func(tenant string, item map[string]types.AttributeValue) secrets.Scope {
			k, _ := item["scope"].(*types.AttributeValueMemberS)
			return secrets.IdempotencyScope(tenant, k.Value)
		},
	},
}

// TableNames are the logical names of Tables.
func TableNames() []string {
	names := make([]string, len(Tables))
	for i, t := range Tables {
		names[i] = t.name
	}
	return names
}

// Eraser erases an address from a tenant's items.
type Eraser struct {
	DB DynamoDB
	// Tables maps logical table names to physical ones.
	Tables map[string]string
	// Sealer opens remembered answers and seals them again once redacted.
	Sealer secrets.Sealer
	// PageSize is how many items a scan reads per call; 0 means 200.
	PageSize int32
	// Now is the clock a run's time limit is read on; nil means time.Now.
	Now func() time.Time
}

// Request is one erasure.
type Request struct {
	TenantID string
	Address  string
	// DryRun finds what would change and changes nothing.
	DryRun bool
}

// State is where an erasure goes on from: the table and the scan's cursor in it, and its
// figures so far ("<table>.scanned" for every item read, ".read" for the tenant's,
// ".changed", ".deleted").
type State struct {
	Table  int            `json:"table"`
	Cursor string         `json:"cursor,omitempty"`
	Counts map[string]int `json:"counts"`
}

// Change is one item the erasure rewrote (or would): the attributes that held the address,
// or the whole item when its key did.
type Change struct {
	Table      string   `json:"table"`
	Key        string   `json:"key"`
	Attributes []string `json:"attributes,omitempty"`
	Deleted    bool     `json:"deleted,omitempty"`
}

// Result is what a run of an erasure did.
type Result struct {
	State   State
	Done    bool
	Changes []Change
}

// Run erases req.Address from the tenant's items from state on, page by page, until every
// table is read or until is reached (zero: no limit), calling progress after each page. It may
// be run again from any state it returned, or from the start: an item already rewritten
// holds the address no more.
func (e *Eraser) Run(ctx context.Context, req Request, from State, until time.Time, progress func(State)) (Result, error) {
	if strings.TrimSpace(req.TenantID) == "" {
		return Result{State: from}, ErrNoTenant
	}
	m, err := NewMatcher(req.Address)
	if err != nil {
		return Result{State: from}, err
	}
	st := from
	if st.Counts == nil {
		st.Counts = map[string]int{}
	}
	var changes []Change
	for st.Table < len(Tables) {
		if !until.IsZero() && !e.now().Before(until) {
			return Result{State: st, Changes: changes}, nil
		}
		t := Tables[st.Table]
		filter, names, values := t.scan(req.TenantID)
		items, next, scanned, err := store.ScanPage(ctx, e.DB, &dynamodb.ScanInput{
			TableName: aws.String(e.Tables[t.name]), FilterExpression: aws.String(filter),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			Limit: aws.Int32(e.pageSize()), ConsistentRead: aws.Bool(true),
		}, st.Cursor)
		if err != nil {
			return Result{State: st, Changes: changes}, err
		}
		st.Counts[t.name+".scanned"] += scanned
		for _, item := range items {
			st.Counts[t.name+".read"]++
			c, err := e.item(ctx, t, req, m, item)
			if err != nil {
				return Result{State: st, Changes: changes}, err
			}
			if c == nil {
				continue
			}
			changes = append(changes, *c)
			if c.Deleted {
				st.Counts[t.name+".deleted"]++
			} else {
				st.Counts[t.name+".changed"]++
			}
		}
		if st.Cursor = next; next == "" {
			st.Table++
		}
		if progress != nil {
			progress(st)
		}
	}
	return Result{State: st, Done: true, Changes: changes}, nil
}

func (e *Eraser) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Eraser) pageSize() int32 {
	if e.PageSize > 0 {
		return e.PageSize
	}
	return 200
}

// item erases the address from one item, reading it again when it changed meanwhile.
func (e *Eraser) item(ctx context.Context, t table, req Request, m *Matcher, item map[string]types.AttributeValue) (*Change, error) {
	const tries = 5
	for range tries {
		c, updates, err := e.redact(ctx, t, req.TenantID, m, item)
		if err != nil || c == nil || req.DryRun {
			return c, err
		}
		applied, err := e.write(ctx, t, item, c, updates)
		if err != nil || applied {
			return c, err
		}
		out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(e.Tables[t.name]), Key: map[string]types.AttributeValue{t.key: item[t.key]}, ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("read %s %s again: %w", t.name, c.Key, err)
		}
		if out.Item == nil {
			return nil, nil
		}
		item = out.Item
	}
	return nil, fmt.Errorf("%s item: %w", t.name, ErrBusy)
}

// redact finds the address in item and returns the change and the attributes' new values.
func (e *Eraser) redact(ctx context.Context, t table, tenant string, m *Matcher, item map[string]types.AttributeValue) (*Change, map[string]types.AttributeValue, error) {
	key, _ := item[t.key].(*types.AttributeValueMemberS)
	if key == nil {
		return nil, nil, nil
	}
	shown, inKey := m.Redact([]byte(key.Value))
	c := &Change{Table: t.name, Key: printable(string(shown))}
	if inKey {
		c.Deleted = true
		return c, nil, nil
	}
	updates := map[string]types.AttributeValue{}
	for name, v := range item {
		if name == t.key {
			continue
		}
		var out types.AttributeValue
		var changed bool
		var err error
		if name == t.sealed {
			out, changed, err = e.sealed(ctx, t.scope(tenant, item), m, v)
		} else {
			out, changed, err = m.value(v)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s, %s: %w", t.name, c.Key, name, err)
		}
		if changed {
			updates[name] = out
			c.Attributes = append(c.Attributes, name)
		}
	}
	if len(updates) == 0 {
		return nil, nil, nil
	}
	slices.Sort(c.Attributes)
	return c, updates, nil
}

// sealed opens a sealed value, redacts it and seals it again when it held the address.
func (e *Eraser) sealed(ctx context.Context, scope secrets.Scope, m *Matcher, v types.AttributeValue) (types.AttributeValue, bool, error) {
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok || e.Sealer == nil {
		return m.value(v)
	}
	plain, err := e.Sealer.Open(ctx, scope, s.Value)
	if err != nil {
		return v, false, err
	}
	out, changed := m.Redact([]byte(plain))
	if !changed {
		return v, false, nil
	}
	sealed, err := e.Sealer.Seal(ctx, scope, string(out))
	if err != nil {
		return v, false, err
	}
	return &types.AttributeValueMemberS{Value: sealed}, true, nil
}

// write applies a change only if the attributes it rewrites are still as read; false when
// they are not.
func (e *Eraser) write(ctx context.Context, t table, old map[string]types.AttributeValue, c *Change, updates map[string]types.AttributeValue) (bool, error) {
	key := map[string]types.AttributeValue{t.key: old[t.key]}
	var err error
	if c.Deleted {
		_, err = e.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.Tables[t.name]), Key: key})
	} else {
		names, values := map[string]string{}, map[string]types.AttributeValue{}
		var set, cond []string
		for i, name := range c.Attributes {
			a, nv, ov := fmt.Sprintf("#a%d", i), fmt.Sprintf(":n%d", i), fmt.Sprintf(":o%d", i)
			names[a], values[nv], values[ov] = name, updates[name], old[name]
			set, cond = append(set, a+" = "+nv), append(cond, a+" = "+ov)
		}
		_, err = e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(e.Tables[t.name]), Key: key,
			UpdateExpression:         aws.String("SET " + strings.Join(set, ", ")),
			ConditionExpression:      aws.String(strings.Join(cond, " AND ")),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
	}
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("rewrite %s %s: %w", t.name, c.Key, err)
	}
	return true, nil
}

// printable shows a key without its control characters (a remembered answer's key joins
// tenant, route and Idempotency-Key with NUL bytes).
func printable(key string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, key)
}
