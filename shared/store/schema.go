package store

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table describes one table: how to create it and its TTL attribute, if any. The local
// stack and the tests create tables from these; the CDK stack mirrors them.
type Table struct {
	// Name is the logical name, e.g. "events".
	Name         string
	TTLAttribute string
	Create       func(physicalName string) *dynamodb.CreateTableInput
}

// Tables lists every table the store uses.
func Tables() []Table {
	return []Table{
		{Name: "connections", Create: func(name string) *dynamodb.CreateTableInput {
			return withTenantIndex(keyedTable(name, "id"), keysOnly())
		}},
		{Name: "events", TTLAttribute: "expires_at", Create: eventsTable},
		{Name: "subscriptions", Create: func(name string) *dynamodb.CreateTableInput {
			return withTenantIndex(keyedTable(name, "id"), including(RoutingAttributes...))
		}},
		{Name: "deliveries", TTLAttribute: "expires_at", Create: deliveriesTable},
		{Name: "rate_limits", TTLAttribute: "expires_at", Create: func(name string) *dynamodb.CreateTableInput { return keyedTable(name, "bucket") }},
		{Name: "api_keys", Create: func(name string) *dynamodb.CreateTableInput {
			return withTenantIndex(keyedTable(name, "key_hash"), &types.Projection{ProjectionType: types.ProjectionTypeAll})
		}},
		{Name: "idempotency_keys", TTLAttribute: "expires_at", Create: func(name string) *dynamodb.CreateTableInput { return keyedTable(name, "scope") }},
		{Name: "credentials", Create: credentialsTable},
		{Name: "actions", TTLAttribute: "expires_at", Create: func(name string) *dynamodb.CreateTableInput { return keyedTable(name, "id") }},
		{Name: "tenants", Create: func(name string) *dynamodb.CreateTableInput { return keyedTable(name, "id") }},
		{Name: "jobs", TTLAttribute: "expires_at", Create: func(name string) *dynamodb.CreateTableInput { return keyedTable(name, "id") }},
	}
}

func attr(name string, t types.ScalarAttributeType) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: t}
}

func key(name string, t types.KeyType) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: t}
}

func keyedTable(name, hashKey string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attr(hashKey, types.ScalarAttributeTypeS)},
		KeySchema:            []types.KeySchemaElement{key(hashKey, types.KeyTypeHash)},
	}
}

// keysOnly and including are index projections. Indexes are sized for cost: a write to an
// item copies what its indexes project, so they project keys or the few attributes their
// queries need, and lists read the items themselves (never a sealed secret in an index).
func keysOnly() *types.Projection {
	return &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
}

func including(attrs ...string) *types.Projection {
	return &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: attrs}
}

// withTenantIndex adds the index of each tenant's items, oldest first, projecting p.
func withTenantIndex(in *dynamodb.CreateTableInput, p *types.Projection) *dynamodb.CreateTableInput {
	in.AttributeDefinitions = append(in.AttributeDefinitions,
		attr("tenant_id", types.ScalarAttributeTypeS), attr("created_sort", types.ScalarAttributeTypeS))
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
		IndexName:  aws.String(IndexByTenant),
		KeySchema:  []types.KeySchemaElement{key("tenant_id", types.KeyTypeHash), key("created_sort", types.KeyTypeRange)},
		Projection: p,
	}}
	return in
}

func eventsTable(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			attr("id", types.ScalarAttributeTypeS),
			attr("tenant_id", types.ScalarAttributeTypeS),
			attr("tenant_sort", types.ScalarAttributeTypeS),
			attr("pending_shard", types.ScalarAttributeTypeN),
			attr("sweep_at", types.ScalarAttributeTypeN),
			attr("received_at", types.ScalarAttributeTypeN),
			attr("correlation_id", types.ScalarAttributeTypeS),
		},
		KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{
				IndexName:  aws.String(IndexTenantTime),
				KeySchema:  []types.KeySchemaElement{key("tenant_id", types.KeyTypeHash), key("tenant_sort", types.KeyTypeRange)},
				Projection: including("type", "status"),
			},
			{
				IndexName:  aws.String(IndexUnprocessed),
				KeySchema:  []types.KeySchemaElement{key("pending_shard", types.KeyTypeHash), key("sweep_at", types.KeyTypeRange)},
				Projection: including("sweeps"),
			},
			{
				IndexName:  aws.String(IndexCorrelation),
				KeySchema:  []types.KeySchemaElement{key("correlation_id", types.KeyTypeHash), key("received_at", types.KeyTypeRange)},
				Projection: keysOnly(),
			},
		},
	}
}

func deliveriesTable(name string) *dynamodb.CreateTableInput {
	in := keyedTable(name, "id")
	in.AttributeDefinitions = append(in.AttributeDefinitions,
		attr("subscription_id", types.ScalarAttributeTypeS), attr("sub_sort", types.ScalarAttributeTypeS),
		attr("due_shard", types.ScalarAttributeTypeN), attr("next_attempt_at", types.ScalarAttributeTypeN))
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{
		{
			IndexName:  aws.String(IndexBySubscription),
			KeySchema:  []types.KeySchemaElement{key("subscription_id", types.KeyTypeHash), key("sub_sort", types.KeyTypeRange)},
			Projection: keysOnly(),
		},
		{
			IndexName:  aws.String(IndexDue),
			KeySchema:  []types.KeySchemaElement{key("due_shard", types.KeyTypeHash), key("next_attempt_at", types.KeyTypeRange)},
			Projection: keysOnly(),
		},
	}
	return in
}
