package main

import (
	"flag"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wedsync/webhooks/shared/store"
)

// tableAge is one table's oldest item.
type tableAge struct {
	Table string `json:"table"`
	Items int    `json:"items"`
	// TTLAttribute is the attribute DynamoDB expires items by, if any.
	TTLAttribute string     `json:"ttl_attribute,omitempty"`
	Oldest       *time.Time `json:"oldest,omitempty"`
	OldestAgeSec int64      `json:"oldest_age_seconds,omitempty"`
}

// queueRetention is how long a queue keeps a message.
type queueRetention struct {
	Queue     string `json:"queue"`
	Retention string `json:"retention"`
}

// ageAttributes are the attributes that date an item, in the order they are read: events
// are dated by their receipt, other items by their creation or last change.
var ageAttributes = []string{"received_at", "created_at", "updated_at"}

func retentionShow() verb {
	return verb{name: "retention show", summary: "Show the stack's retention (context retentionDays), each queue's, and per table the age of\n" +
		"its oldest item (a scan of every table). Change retention with make deploy CDK_ARGS=\"-c retentionDays=N\".",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			return func(e *runEnv) error {
				t, err := e.target()
				if err != nil {
					return err
				}
				var queues []queueRetention
				for _, name := range mustQueueNames() {
					for label, url := range map[string]string{name: t.Queues[name], name + "-dlq": t.DLQs[name]} {
						v, err := queueAttribute(e.ctx, t.SQS, url, sqstypes.QueueAttributeNameMessageRetentionPeriod)
						if err != nil {
							return err
						}
						secs, _ := strconv.Atoi(v)
						queues = append(queues, queueRetention{Queue: label, Retention: (time.Duration(secs) * time.Second).String()})
					}
				}
				var tables []tableAge
				for _, table := range store.Tables() {
					a, err := oldest(e, t, table)
					if err != nil {
						return err
					}
					tables = append(tables, a)
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"stack": t.Name, "retention_days": t.RetentionDays, "queues": queues, "tables": tables})
				}
				e.say("%s keeps events, deliveries and logs %d days (context retentionDays; change it with make deploy CDK_ARGS=\"-c retentionDays=N\")", t.Name, t.RetentionDays)
				for _, q := range queues {
					e.say("  queue %-16s keeps messages %s", q.Queue, q.Retention)
				}
				for _, a := range tables {
					line := "  table " + a.Table + ": " + strconv.Itoa(a.Items) + " item(s)"
					if a.Oldest != nil {
						line += ", the oldest from " + a.Oldest.Format(time.RFC3339) + " (" + (time.Duration(a.OldestAgeSec) * time.Second).String() + " old)"
					}
					if a.TTLAttribute != "" {
						line += "; expires by " + a.TTLAttribute
					}
					e.say("%s", line)
				}
				return nil
			}
		}}
}

func mustQueueNames() []string {
	names, _ := queueNames("all")
	return names
}

// oldest scans a table for the date of its oldest item.
func oldest(e *runEnv, t *Target, table store.Table) (tableAge, error) {
	a := tableAge{Table: table.Name, TTLAttribute: table.TTLAttribute}
	names := map[string]string{}
	proj := ""
	for i, attr := range ageAttributes {
		k := "#a" + strconv.Itoa(i)
		names[k] = attr
		if proj != "" {
			proj += ", "
		}
		proj += k
	}
	var first time.Time
	cursor := ""
	for {
		items, next, _, err := store.ScanPage(e.ctx, t.DB, &dynamodb.ScanInput{TableName: aws.String(t.table(table.Name)),
			ProjectionExpression: aws.String(proj), ExpressionAttributeNames: names}, cursor)
		if err != nil {
			return a, err
		}
		for _, item := range items {
			a.Items++
			if at := itemTime(item); !at.IsZero() && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if !first.IsZero() {
		a.Oldest, a.OldestAgeSec = &first, int64(e.now().Sub(first)/time.Second)
	}
	return a, nil
}

// itemTime is the first of an item's dating attributes: milliseconds, or RFC 3339 text.
func itemTime(item map[string]types.AttributeValue) time.Time {
	for _, attr := range ageAttributes {
		switch v := item[attr].(type) {
		case *types.AttributeValueMemberN:
			if ms, err := strconv.ParseInt(v.Value, 10, 64); err == nil && ms > 0 {
				return time.UnixMilli(ms).UTC()
			}
		case *types.AttributeValueMemberS:
			if at, err := time.Parse(time.RFC3339Nano, v.Value); err == nil {
				return at.UTC()
			}
		}
	}
	return time.Time{}
}
