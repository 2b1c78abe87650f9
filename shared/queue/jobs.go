package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// JobMessage is the body of a commands queue message that runs one step of a background
// job: the job's key and the step's number, never its input.
type JobMessage struct {
	JobID string `json:"job_id"`
	Step  int    `json:"step"`
}

// EnqueueJob queues a job's step on the commands queue at url.
func EnqueueJob(ctx context.Context, q Sender, url string, m JobMessage) error {
	b, _ := json.Marshal(m)
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(b))}); err != nil {
		return fmt.Errorf("enqueue step %d of job %s: %w", m.Step, m.JobID, err)
	}
	return nil
}

// ParseJobMessage returns the job step a message carries; ErrMalformedMessage when it
// carries none (an event's key, for one).
func ParseJobMessage(body string) (JobMessage, error) {
	var m JobMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil || !strings.HasPrefix(m.JobID, "job_") || m.Step < 0 {
		return JobMessage{}, fmt.Errorf("%w: no job_id", ErrMalformedMessage)
	}
	return m, nil
}
