package api_test

import "github.com/danielgtaylor/huma/v2"

func isNilOp(op any) bool {
	o, ok := op.(*huma.Operation)
	return !ok || o == nil
}

func operationID(op any) string { return op.(*huma.Operation).OperationID }
