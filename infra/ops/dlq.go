package main

import (
	"flag"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// dlqReport is one DLQ as dlq show reports it.
type dlqReport struct {
	Queue    string `json:"queue"`
	URL      string `json:"url"`
	Messages int    `json:"messages"`
	InFlight int    `json:"in_flight"`
	// OldestAgeSeconds is the age of the oldest of the Read messages read.
	OldestAgeSeconds int64         `json:"oldest_age_seconds"`
	Read             int           `json:"read"`
	Page             []messageInfo `json:"page"`
}

func dlqShow() verb {
	return verb{name: "dlq show", summary: "Show the dead-letter queues: counts, the oldest message's age, and a page of messages\n" +
		"with their tenant, event type and last error, without consuming them.",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			q := fs.String("queue", "all", "events, deliveries, commands or all")
			limit := fs.Int("limit", 10, "how many messages to list per queue")
			scan := fs.Int("scan", 100, "how many messages to read per queue to find the oldest")
			return func(e *runEnv) error {
				names, err := queueNames(*q)
				if err != nil {
					return err
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				var reports []dlqReport
				for _, name := range names {
					r, err := showDLQ(e, t, name, *limit, max(*scan, *limit))
					if err != nil {
						return err
					}
					reports = append(reports, r)
				}
				if e.json {
					return writeJSON(e.out, map[string]any{"dlqs": reports})
				}
				for _, r := range reports {
					e.say("%s DLQ: %d message(s), %d in flight; oldest of the %d read: %s", r.Queue, r.Messages, r.InFlight, r.Read, time.Duration(r.OldestAgeSeconds)*time.Second)
					for _, m := range r.Page {
						e.say("  %s  sent %s  received %d×  %s %s  tenant %s  %s  %s", m.MessageID, m.SentAt.Format(time.RFC3339), m.Receives,
							m.Kind, or(m.EventID, m.DeliveryID, m.JobID), or(m.TenantID, "?"), or(m.EventType, "?"), m.LastError)
					}
				}
				return nil
			}
		}}
}

// showDLQ reads up to scan messages of a DLQ without consuming them (each is given back at
// once) and reports the oldest and a page of limit, oldest first.
func showDLQ(e *runEnv, t *Target, name string, limit, scan int) (dlqReport, error) {
	url := t.DLQs[name]
	r := dlqReport{Queue: name, URL: url, Page: []messageInfo{}}
	var err error
	if r.Messages, r.InFlight, err = depth(e.ctx, t.SQS, url); err != nil {
		return r, err
	}
	held := map[string]*string{}
	var msgs []sqstypes.Message
	for len(msgs) < scan {
		got, err := receive(e.ctx, t.SQS, url, 30*time.Second, 0)
		if err != nil {
			_ = release(e.ctx, t.SQS, url, held)
			return r, err
		}
		fresh := 0
		for _, m := range got {
			if _, seen := held[aws.ToString(m.MessageId)]; !seen {
				msgs, fresh = append(msgs, m), fresh+1
			}
			held[aws.ToString(m.MessageId)] = m.ReceiptHandle
		}
		if fresh == 0 {
			break
		}
	}
	if err := release(e.ctx, t.SQS, url, held); err != nil {
		return r, err
	}
	infos, err := describe(e.ctx, t, name, msgs)
	if err != nil {
		return r, err
	}
	slices.SortFunc(infos, func(a, b messageInfo) int { return a.SentAt.Compare(b.SentAt) })
	r.Read = len(infos)
	if len(infos) > 0 && !infos[0].SentAt.IsZero() {
		r.OldestAgeSeconds = max(0, int64(e.now().Sub(infos[0].SentAt)/time.Second))
	}
	r.Page = infos[:min(limit, len(infos))]
	return r, nil
}

// or is the first non-empty value.
func or(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
