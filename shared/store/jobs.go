package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Job statuses: queued until its first step runs, running until it ends.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// JobRetention is how long a job's record is kept after it is created.
const JobRetention = 7 * 24 * time.Hour

// Job is a tenant's background job, run a step at a time by a worker: each step reads the
// job, works within its time, and saves its progress with the next step's number, so a
// second copy of a step's message finds the step taken and stops.
type Job struct {
	ID       string
	TenantID string
	Kind     string
	Status   string
	// SealedInput is the job's input, sealed for its tenant; it is removed when the job
	// ends (an erasure's input is the address it erases).
	SealedInput string
	// Step is the number of the next step to run, from 0.
	Step int
	// State is where the next step goes on from, opaque to the store.
	State string
	// Counts are the job's figures so far, e.g. items read and changed.
	Counts     map[string]int
	Error      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
}

// Done reports whether the job has ended.
func (j Job) Done() bool { return j.Status == JobSucceeded || j.Status == JobFailed }

// Jobs is the jobs table.
type Jobs struct {
	DB    DynamoDB
	Table string
}

// Create stores a new queued job; ErrExists when one has its id.
func (j *Jobs) Create(ctx context.Context, job Job) error {
	item := map[string]types.AttributeValue{
		"id": s(job.ID), "tenant_id": s(job.TenantID), "kind": s(job.Kind), "status": s(JobQueued), "step": n(0),
		"created_at": n(millis(job.CreatedAt)), "updated_at": n(millis(job.CreatedAt)),
		"expires_at": n(job.CreatedAt.Add(JobRetention).Unix()),
	}
	if job.SealedInput != "" {
		item["sealed_input"] = s(job.SealedInput)
	}
	return putNew(ctx, j.DB, j.Table, item, "job", job.ID)
}

// Get loads a job; ErrNotFound when there is none.
func (j *Jobs) Get(ctx context.Context, id string) (Job, error) {
	item, err := getByID(ctx, j.DB, j.Table, "job", id)
	if err != nil {
		return Job{}, err
	}
	return jobFromItem(item), nil
}

// Advance records a step's progress: the job moves from step job.Step to job.Step+1 with
// job's status, state, counts and error; when it is done, its input and state are removed.
// It answers false, changing nothing, when the step was taken already (another copy of
// its message ran it).
func (j *Jobs) Advance(ctx context.Context, job Job, now time.Time) (bool, error) {
	counts := map[string]types.AttributeValue{}
	for k, v := range job.Counts {
		counts[k] = n(int64(v))
	}
	values := map[string]types.AttributeValue{
		":step": n(int64(job.Step)), ":next": n(int64(job.Step + 1)), ":status": s(job.Status),
		":counts": &types.AttributeValueMemberM{Value: counts}, ":now": n(millis(now)),
	}
	names := map[string]string{"#status": "status"}
	set := "SET #status = :status, step = :next, counts = :counts, updated_at = :now"
	var remove string
	switch {
	case job.Done():
		set += ", finished_at = :now"
		remove, names["#state"] = " REMOVE sealed_input, #state", "state"
	case job.State != "":
		set += ", #state = :state"
		values[":state"], names["#state"] = s(job.State), "state"
	}
	if job.Error != "" {
		set += ", #error = :error"
		values[":error"], names["#error"] = s(job.Error), "error"
	}
	_, err := j.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(j.Table), Key: map[string]types.AttributeValue{"id": s(job.ID)},
		UpdateExpression:          aws.String(set + remove),
		ConditionExpression:       aws.String("step = :step"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return conditional(err, "advance job "+job.ID)
}

func jobFromItem(item map[string]types.AttributeValue) Job {
	job := Job{
		ID: getS(item, "id"), TenantID: getS(item, "tenant_id"), Kind: getS(item, "kind"), Status: getS(item, "status"),
		SealedInput: getS(item, "sealed_input"), Step: int(getN(item, "step")), State: getS(item, "state"),
		Error: getS(item, "error"), CreatedAt: fromMillis(getN(item, "created_at")),
		UpdatedAt: fromMillis(getN(item, "updated_at")), FinishedAt: fromMillis(getN(item, "finished_at")),
		Counts: map[string]int{},
	}
	if m, ok := item["counts"].(*types.AttributeValueMemberM); ok {
		for k := range m.Value {
			job.Counts[k] = int(getN(m.Value, k))
		}
	}
	return job
}
