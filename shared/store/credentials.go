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

// Credential is a connection's outbound credentials: what calls the provider's API on the
// tenant's behalf. The secret part and the OAuth2 token are sealed; kind and type are not.
type Credential struct {
	TenantID     string
	ConnectionID string
	// Kind is the connection's provider kind.
	Kind string
	// Type says what Sealed holds: "api_key", "oauth2" or "hook_url".
	Type   string
	Sealed string
	// SealedToken is the current OAuth2 token, sealed; empty until the first refresh.
	SealedToken string
	// TokenRevision moves on by one with every stored token and every Put, so a refresh
	// stores its token only over the one it replaced.
	TokenRevision int64
	// RefreshUntil is when a refresh in progress stops excluding the others.
	RefreshUntil time.Time
	UpdatedAt    time.Time
}

// CredentialRef names a connection of a tenant that has outbound credentials.
type CredentialRef struct {
	ConnectionID string
	Kind         string
}

// Credentials is the table of outbound credentials, keyed by tenant and connection, so a
// tenant's are found with one query.
type Credentials struct {
	DB    DynamoDB
	Table string
}

func credentialsTable(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			attr("tenant_id", types.ScalarAttributeTypeS), attr("connection_id", types.ScalarAttributeTypeS),
		},
		KeySchema: []types.KeySchemaElement{key("tenant_id", types.KeyTypeHash), key("connection_id", types.KeyTypeRange)},
	}
}

func credentialKey(tenantID, connectionID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"tenant_id": s(tenantID), "connection_id": s(connectionID)}
}

// Put sets a connection's credentials, forgetting any token of the previous ones.
func (c *Credentials) Put(ctx context.Context, cred Credential) error {
	_, err := c.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(c.Table),
		Key:                      credentialKey(cred.TenantID, cred.ConnectionID),
		UpdateExpression:         aws.String("SET #kind = :kind, #type = :type, sealed = :sealed, updated_at = :now REMOVE #token, refresh_until ADD token_rev :one"),
		ExpressionAttributeNames: map[string]string{"#kind": "kind", "#type": "type", "#token": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": s(cred.Kind), ":type": s(cred.Type), ":sealed": s(cred.Sealed), ":now": n(millis(cred.UpdatedAt)), ":one": n(1),
		},
	})
	if err != nil {
		return fmt.Errorf("put credentials of %s: %w", cred.ConnectionID, err)
	}
	return nil
}

// Get loads a connection's credentials; ErrNotFound when it has none.
func (c *Credentials) Get(ctx context.Context, tenantID, connectionID string) (Credential, error) {
	out, err := c.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(c.Table), Key: credentialKey(tenantID, connectionID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Credential{}, fmt.Errorf("get credentials of %s: %w", connectionID, err)
	}
	if out.Item == nil {
		return Credential{}, fmt.Errorf("credentials of %s: %w", connectionID, ErrNotFound)
	}
	return credentialFromItem(out.Item), nil
}

func credentialFromItem(item map[string]types.AttributeValue) Credential {
	return Credential{
		TenantID: getS(item, "tenant_id"), ConnectionID: getS(item, "connection_id"), Kind: getS(item, "kind"),
		Type: getS(item, "type"), Sealed: getS(item, "sealed"), SealedToken: getS(item, "token"),
		TokenRevision: getN(item, "token_rev"), RefreshUntil: fromMillis(getN(item, "refresh_until")),
		UpdatedAt: fromMillis(getN(item, "updated_at")),
	}
}

// ListByTenant names every connection of a tenant that has credentials, reading only their
// keys and kinds (never the sealed values).
func (c *Credentials) ListByTenant(ctx context.Context, tenantID string) ([]CredentialRef, error) {
	var refs []CredentialRef
	var start map[string]types.AttributeValue
	for {
		out, err := c.DB.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(c.Table),
			KeyConditionExpression:    aws.String("tenant_id = :t"),
			ProjectionExpression:      aws.String("connection_id, #kind"),
			ExpressionAttributeNames:  map[string]string{"#kind": "kind"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(tenantID)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("list credentials of tenant %s: %w", tenantID, err)
		}
		for _, item := range out.Items {
			refs = append(refs, CredentialRef{ConnectionID: getS(item, "connection_id"), Kind: getS(item, "kind")})
		}
		if len(out.LastEvaluatedKey) == 0 {
			return refs, nil
		}
		start = out.LastEvaluatedKey
	}
}

// LeaseRefresh claims the refresh of the token at revision rev until until. It returns
// false when the revision moved on or another refresh holds an unexpired lease.
func (c *Credentials) LeaseRefresh(ctx context.Context, tenantID, connectionID string, rev int64, now, until time.Time) (bool, error) {
	_, err := c.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(c.Table),
		Key:                 credentialKey(tenantID, connectionID),
		UpdateExpression:    aws.String("SET refresh_until = :until"),
		ConditionExpression: aws.String("token_rev = :rev AND (attribute_not_exists(refresh_until) OR refresh_until < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": n(millis(until)), ":rev": n(rev), ":now": n(millis(now)),
		},
	})
	return conditional(err, "lease token refresh of "+connectionID)
}

// SaveToken stores a refreshed token over revision rev and ends the refresh's lease. It
// returns false when the revision moved on (the credentials were replaced meanwhile).
func (c *Credentials) SaveToken(ctx context.Context, tenantID, connectionID string, rev int64, sealedToken string, now time.Time) (bool, error) {
	_, err := c.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(c.Table),
		Key:                      credentialKey(tenantID, connectionID),
		UpdateExpression:         aws.String("SET #token = :token, token_rev = :next, updated_at = :now REMOVE refresh_until"),
		ConditionExpression:      aws.String("token_rev = :rev"),
		ExpressionAttributeNames: map[string]string{"#token": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":token": s(sealedToken), ":rev": n(rev), ":next": n(rev + 1), ":now": n(millis(now)),
		},
	})
	return conditional(err, "save token of "+connectionID)
}

// ReleaseRefresh ends a refresh's lease without a new token, so another may try at once.
func (c *Credentials) ReleaseRefresh(ctx context.Context, tenantID, connectionID string, rev int64) error {
	_, err := c.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(c.Table),
		Key:                       credentialKey(tenantID, connectionID),
		UpdateExpression:          aws.String("REMOVE refresh_until"),
		ConditionExpression:       aws.String("token_rev = :rev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":rev": n(rev)},
	})
	_, err = conditional(err, "release token refresh of "+connectionID)
	return err
}

// conditional turns a conditional write's outcome into applied or not; other errors are
// wrapped with what.
// putNew stores item in table unless an item with its id exists (ErrExists); what and id
// name it in errors.
func putNew(ctx context.Context, db DynamoDB, table string, item map[string]types.AttributeValue, what, id string) error {
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table), Item: item, ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	applied, err := conditional(err, "create "+what+" "+id)
	if err != nil {
		return err
	}
	if !applied {
		return fmt.Errorf("%s %s: %w", what, id, ErrExists)
	}
	return nil
}

// getByID reads the item with id from table with a consistent read; ErrNotFound when there
// is none.
func getByID(ctx context.Context, db DynamoDB, table, what, id string) (map[string]types.AttributeValue, error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table), Key: map[string]types.AttributeValue{"id": s(id)}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", what, id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
	}
	return out.Item, nil
}

func conditional(err error, what string) (bool, error) {
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ccf):
		return false, nil
	default:
		return false, fmt.Errorf("%s: %w", what, err)
	}
}
