// Package cost is the project's own meter (make cost): it sends a stated mix of signed
// events through a fresh local stack configured as a deployed stack is (caches on), counts
// every AWS call of every function with the DynamoDB capacity it consumed, and prints per
// ingested event, by function and operation, the calls, write and read units and dollars
// per million at the list prices of prices.json. A counting proxy in front of the
// emulators counts the same run independently.
package cost
