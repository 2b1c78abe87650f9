package api

import (
	"encoding/base64"
	"time"
)

// Data is the success shape: {"success": true, "data": …}.
type Data[T any] struct {
	Success bool `json:"success"`
	Data    T    `json:"data"`
}

// Output is an operation's answer.
type Output[T any] struct {
	Body Data[T]
}

func ok[T any](v T) *Output[T] { return &Output[T]{Body: Data[T]{Success: true, Data: v}} }

// ListInput is the paging of every list.
type ListInput struct {
	Limit  int32  `query:"limit" minimum:"1" maximum:"100" default:"25" doc:"Items per page."`
	Cursor string `query:"cursor" maxLength:"2048" doc:"next_cursor of the previous page."`
}

// Empty is the data of an answer with nothing to say.
type Empty struct {
	Deleted bool `json:"deleted"`
}

func utc(t time.Time) time.Time { return t.UTC() }

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
