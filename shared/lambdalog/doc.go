// Package lambdalog builds the one logger each function logs through: aws-lambda-go's
// lambdacontext handler, which adds the invocation's request id to every line logged with its
// context and honours the runtime's AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.
package lambdalog
