package main

import (
	"flag"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/wedsync/webhooks/shared/erase"
)

// eraseReport is what an erasure changed (or, in a dry run, would change).
type eraseReport struct {
	TenantID string         `json:"tenant_id"`
	Counts   map[string]int `json:"counts"`
	Changes  []erase.Change `json:"changes"`
	DryRun   bool           `json:"dry_run"`
}

func eraseContact() verb {
	return verb{name: "erase", summary: "Erase a contact's e-mail address from a tenant's events (raw body and envelope), derived events,\n" +
		"delivery attempt logs and remembered /v1 answers, in any case and encoding, and print what changed.\n" +
		"Other tenants' items are not touched. Point-in-time backups keep the address until they expire.",
		flags: func(fs *flag.FlagSet) func(*runEnv) error {
			tenant := fs.String("tenant", "", "the tenant's id (required)")
			email := fs.String("email", "", "the contact's e-mail address (required)")
			return func(e *runEnv) error {
				for flag, v := range map[string]string{"tenant": *tenant, "email": *email} {
					if err := required(flag, v); err != nil {
						return err
					}
				}
				if _, err := erase.NewMatcher(*email); err != nil {
					return err
				}
				t, err := e.target()
				if err != nil {
					return err
				}
				sealer, err := t.Sealer()
				if err != nil {
					return err
				}
				tables := map[string]string{}
				total := 0
				for _, name := range erase.TableNames() {
					tables[name] = t.table(name)
					if out, err := t.DB.DescribeTable(e.ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tables[name])}); err == nil {
						total += int(aws.ToInt64(out.Table.ItemCount))
					}
				}
				eraser := &erase.Eraser{DB: t.DB, Tables: tables, Sealer: sealer, Now: e.now}
				p := newProgress(e.progressWriter(), "erase", total)
				read := func(st erase.State) int {
					n := 0
					for _, name := range erase.TableNames() {
						n += st.Counts[name+".scanned"]
					}
					return n
				}
				res, err := eraser.Run(e.ctx, erase.Request{TenantID: *tenant, Address: *email, DryRun: e.dryRun}, erase.State{}, time.Time{},
					func(st erase.State) { p.Update(read(st), "items read") })
				if err != nil {
					return err
				}
				p.Done(read(res.State), "items read")
				if e.json {
					return writeJSON(e.out, eraseReport{TenantID: *tenant, Counts: res.State.Counts, Changes: nonNil(res.Changes), DryRun: e.dryRun})
				}
				what := "changed"
				if e.dryRun {
					what = "dry run: would change"
				}
				e.say("%s %d item(s) of tenant %s in %s:", what, len(res.Changes), *tenant, t.Name)
				for _, c := range res.Changes {
					if c.Deleted {
						e.say("  %-16s %s  deleted (its key held the address)", c.Table, c.Key)
					} else {
						e.say("  %-16s %s  %v", c.Table, c.Key, c.Attributes)
					}
				}
				for _, name := range erase.TableNames() {
					e.say("  %s: %d read, %d changed, %d deleted", name, res.State.Counts[name+".read"], res.State.Counts[name+".changed"], res.State.Counts[name+".deleted"])
				}
				e.say("Point-in-time backups (PITR, up to 35 days) keep the address until they expire.")
				return nil
			}
		}}
}
