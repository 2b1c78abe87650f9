package awsenv

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Capacity is what DynamoDB reports one call consumed: write and read units in all, and the
// units of each global secondary index among them.
type Capacity struct {
	Write float64 `json:"w,omitempty"`
	Read  float64 `json:"r,omitempty"`
	// Indexes are the units each index took, included in Write or Read.
	Indexes map[string]float64 `json:"ix,omitempty"`
}

// askCapacity returns a copy of a DynamoDB operation's input that asks for the consumed
// capacity per index, or params itself when it has no such field or already asks.
func askCapacity(params any) any {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return params
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if !f.IsValid() || f.Kind() != reflect.String || f.String() != "" {
		return params
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	cp.Elem().FieldByName("ReturnConsumedCapacity").SetString(string(types.ReturnConsumedCapacityIndexes))
	return cp.Interface()
}

// tableOf returns the table an operation's input names ("" for none or several).
func tableOf(params any) string { return stringField(params, "TableName") }

// contextOf names what a KMS call's encryption context binds it to (the secret's tenant and
// resource), so a meter can tell a container's first opening of a secret from a repeat.
func contextOf(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("EncryptionContext")
	if !f.IsValid() {
		return ""
	}
	m, _ := f.Interface().(map[string]string)
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// capacityOf reads the consumed capacity a DynamoDB output reports. An operation is a read
// or a write by what it does, so units DynamoDB reports as "CapacityUnits" alone count on
// that side.
func capacityOf(op string, result any) Capacity {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return Capacity{}
	}
	f := v.Elem().FieldByName("ConsumedCapacity")
	if !f.IsValid() {
		return Capacity{}
	}
	var reported []types.ConsumedCapacity
	switch c := f.Interface().(type) {
	case *types.ConsumedCapacity:
		if c != nil {
			reported = append(reported, *c)
		}
	case []types.ConsumedCapacity:
		reported = c
	}
	read := IsRead(op)
	var out Capacity
	add := func(units float64) {
		if read {
			out.Read += units
		} else {
			out.Write += units
		}
	}
	for _, c := range reported {
		add(aws.ToFloat64(c.CapacityUnits))
		for name, ix := range c.GlobalSecondaryIndexes {
			if units := aws.ToFloat64(ix.CapacityUnits); units > 0 {
				if out.Indexes == nil {
					out.Indexes = map[string]float64{}
				}
				out.Indexes[name] += units
			}
		}
	}
	return out
}

// IsRead tells whether a DynamoDB operation reads (its units are read units).
func IsRead(op string) bool {
	switch op {
	case "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems":
		return true
	}
	return false
}
