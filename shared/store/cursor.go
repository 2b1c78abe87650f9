package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrBadCursor means a list cursor is not one this store made.
var ErrBadCursor = errors.New("malformed cursor")

// encodeCursor turns a LastEvaluatedKey (string and number attributes) into an opaque
// string; "" when there is no next page.
func encodeCursor(key map[string]types.AttributeValue) string {
	if len(key) == 0 {
		return ""
	}
	flat := map[string][2]string{}
	for k, v := range key {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			flat[k] = [2]string{"S", x.Value}
		case *types.AttributeValueMemberN:
			flat[k] = [2]string{"N", x.Value}
		}
	}
	b, _ := json.Marshal(flat)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(cursor string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, ErrBadCursor
	}
	var flat map[string][2]string
	if err := json.Unmarshal(b, &flat); err != nil || len(flat) == 0 {
		return nil, ErrBadCursor
	}
	key := map[string]types.AttributeValue{}
	for k, v := range flat {
		switch v[0] {
		case "S":
			key[k] = &types.AttributeValueMemberS{Value: v[1]}
		case "N":
			key[k] = &types.AttributeValueMemberN{Value: v[1]}
		default:
			return nil, fmt.Errorf("%w: attribute %s", ErrBadCursor, k)
		}
	}
	return key, nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	// Next is the cursor of the next page, "" on the last.
	Next string
}
