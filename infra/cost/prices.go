package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed prices.json
var pricesJSON []byte

// Prices are list prices in dollars per million units, as of a date.
type Prices struct {
	AsOf       string `json:"as_of"`
	Region     string `json:"region"`
	Source     string `json:"source"`
	PerMillion struct {
		HTTPAPIRequests    float64 `json:"http_api_requests"`
		LambdaRequests     float64 `json:"lambda_requests"`
		SQSRequests        float64 `json:"sqs_requests"`
		DynamoDBWriteUnits float64 `json:"dynamodb_write_units"`
		DynamoDBReadUnits  float64 `json:"dynamodb_read_units"`
		KMSRequests        float64 `json:"kms_requests"`
	} `json:"per_million"`
	Notes []string `json:"notes"`
}

// ListPrices returns the prices kept in prices.json.
func ListPrices() (Prices, error) {
	var p Prices
	if err := json.Unmarshal(pricesJSON, &p); err != nil {
		return Prices{}, fmt.Errorf("prices.json: %w", err)
	}
	if p.AsOf == "" || p.PerMillion.DynamoDBWriteUnits == 0 {
		return Prices{}, fmt.Errorf("prices.json: no date or no prices")
	}
	return p, nil
}
