# irbot developer tasks. `make` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# Tool versions, checked against go1.26.8 (both resolve on the module proxy
# and run with `go run`; no install step).
STATICCHECK_VERSION   ?= v0.8.2
WORKFLOWCHECK_VERSION ?= v0.6.0
STATICCHECK   = go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
HELM_VERSION          ?= v3.22.0
HELM          = go run helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
WORKFLOWCHECK = go run go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION) -config .ci/workflowcheck.yaml

VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# Local PostgreSQL for test-postgres (Debian's postgresql package, as .ci/run).
IRBOT_TEST_POSTGRES_URL ?= postgres://irbot_test:irbot_test@127.0.0.1:5432/irbot_test?sslmode=disable

.PHONY: help build run check fuzz test test-postgres bench bench-go compose-check helm-check cluster-test clean

help: ## Show this list
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

build: ## Build bin/irbot (first build links the Temporal server: minutes)
	CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/irbot ./cmd/irbot

run: ## Run irbot serve with embedded Temporal and SQLite in ./data
	go run ./cmd/irbot serve

check: ## gofmt, go vet, staticcheck, workflowcheck, gosec and govulncheck
	@out="$$(gofmt -l $$(git ls-files '*.go'; git ls-files --others --exclude-standard '*.go'))"; \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) ./workflows/...
	.ci/checks.sh gosec
	.ci/checks.sh govulncheck

fuzz: ## Run each fuzz test briefly (FUZZTIME=10s), as CI does
	.ci/checks.sh fuzz

test: ## Run all tests (the README's test command)
	go test ./...

test-postgres: ## Start local PostgreSQL (apt) and run the store tests against it
	.ci/run --postgres-only
	IRBOT_TEST_POSTGRES_URL='$(IRBOT_TEST_POSTGRES_URL)' go test -count=1 ./internal/store/...

bench: ## irbot bench: the whole stack against its budgets (BENCH_FLAGS=--quick)
	go run ./cmd/irbot bench $(BENCH_FLAGS) --out bench.json

bench-go: ## Go micro-benchmarks only
	go test -run '^$$' -bench . -benchmem ./...

compose-check: ## Check docker-compose.yml, Dockerfile, Slack manifest (no Docker needed)
	go test -count=1 ./deploy/

helm-check: ## helm lint and helm template of deploy/helm/irbot (helm built from its Go module)
	$(HELM) lint --strict deploy/helm/irbot
	$(HELM) template irbot deploy/helm/irbot >/dev/null

cluster-test: ## Two irbot replicas on Temporal's own server and a throwaway PostgreSQL: failover and outages (no Docker, 4.5-6 min)
	go test -tags cluster -count=1 -parallel 4 -timeout 30m -v ./deploy/cluster/

clean: ## Remove build output and test caches (keeps ./data)
	rm -rf bin/
	go clean -testcache
