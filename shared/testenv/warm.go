package testenv

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// warmCallTimeout bounds each warm-up call.
const warmCallTimeout = 30 * time.Second

// warmDynamoDB runs each operation the store uses a few dozen times on a scratch table, so
// the JVM has compiled its paths before tests with 100 ms call deadlines begin.
func warmDynamoDB(ctx context.Context, endpoint string) error {
	// A cold JVM on a busy machine can take longer than CallTimeout for its first calls.
	db := dynamodb.NewFromConfig(Config(warmCallTimeout), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.DisableValidateResponseChecksum = true
	})
	table := aws.String("warm-up")
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            table,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		return fmt.Errorf("warm up DynamoDB Local: %w", err)
	}
	defer db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: table})
	for i := range 40 {
		key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: fmt.Sprint(i % 4)}}
		item := map[string]types.AttributeValue{"id": key["id"], "n": &types.AttributeValueMemberN{Value: "1"}}
		_, _ = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item,
			ConditionExpression: aws.String("attribute_not_exists(id)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
		_, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(true)})
		_, _ = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: key, UpdateExpression: aws.String("SET n = :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "2"}}})
		_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: table, KeyConditionExpression: aws.String("id = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": key["id"]}})
	}
	return nil
}
