package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/wedsync/webhooks/shared/erase"
	"github.com/wedsync/webhooks/shared/store"
)

// JobService starts a tenant's background jobs and reads them back.
type JobService interface {
	StartErase(ctx context.Context, id, tenant, address string) (store.Job, error)
	Get(ctx context.Context, id string) (store.Job, error)
}

// EraseBody asks for a contact's erasure. The address travels in the body only: a path
// reaches access logs and idempotency records.
type EraseBody struct {
	Email string `json:"email" minLength:"3" maxLength:"254" doc:"The contact's e-mail address, found in any case and encoding."`
}

// JobCounts are a job's figures in one table.
type JobCounts struct {
	Read    int `json:"read" doc:"The tenant's items read."`
	Changed int `json:"changed" doc:"Items rewritten without the address."`
	Deleted int `json:"deleted" doc:"Items deleted because their key held the address."`
}

// Job is a background job as the API shows it; never its input.
type Job struct {
	ID         string               `json:"id"`
	Kind       string               `json:"kind" enum:"contact.erase"`
	Status     string               `json:"status" enum:"queued,running,succeeded,failed"`
	Tables     map[string]JobCounts `json:"tables" doc:"What the job did so far, by table."`
	Error      string               `json:"error,omitempty"`
	CreatedAt  time.Time            `json:"created_at"`
	UpdatedAt  time.Time            `json:"updated_at"`
	FinishedAt *time.Time           `json:"finished_at,omitempty"`
}

func (s *Server) registerJobs() {
	huma.Register(s.api, huma.Operation{OperationID: "erase-contact", Method: http.MethodPost, Path: "/v1/contacts/erase",
		Summary: "Erase a contact's e-mail address from your events, derived events, delivery attempt logs and remembered answers",
		Description: "Starts a background job and answers at once; follow it at `GET /v1/jobs/{id}`. Backups taken before " +
			"(point-in-time recovery) keep the address until they expire.",
		Tags: []string{"Contacts"}, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *struct{ Body EraseBody }) (*Output[Job], error) {
			if s.Jobs == nil {
				return nil, internal(ctx)
			}
			job, err := s.Jobs.StartErase(ctx, s.newID("job_"), tenantOf(ctx), in.Body.Email)
			if errors.Is(err, erase.ErrBadAddress) {
				return nil, invalid(ctx, map[string]string{"email": "must be an e-mail address"})
			}
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(jobView(job)), nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-job", Method: http.MethodGet, Path: "/v1/jobs/{id}",
		Summary: "A background job's status and what it did", Tags: []string{"Contacts"}},
		func(ctx context.Context, in *idInput) (*Output[Job], error) {
			if s.Jobs == nil {
				return nil, internal(ctx)
			}
			job, err := s.Jobs.Get(ctx, in.ID)
			if isNotFound(err) || err == nil && job.TenantID != tenantOf(ctx) {
				return nil, notFound(ctx, "job")
			}
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return ok(jobView(job)), nil
		})
}

func jobView(j store.Job) Job {
	v := Job{ID: j.ID, Kind: j.Kind, Status: j.Status, Tables: map[string]JobCounts{}, Error: j.Error,
		CreatedAt: utc(j.CreatedAt), UpdatedAt: utc(j.UpdatedAt)}
	for _, t := range erase.TableNames() {
		v.Tables[t] = JobCounts{}
	}
	for k, n := range j.Counts {
		table, what, _ := strings.Cut(k, ".")
		c := v.Tables[table]
		switch what {
		case "read":
			c.Read = n
		case "changed":
			c.Changed = n
		case "deleted":
			c.Deleted = n
		}
		if slices.Contains(erase.TableNames(), table) {
			v.Tables[table] = c
		}
	}
	if !j.FinishedAt.IsZero() {
		t := utc(j.FinishedAt)
		v.FinishedAt = &t
	}
	return v
}
