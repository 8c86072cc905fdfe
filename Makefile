# Offline commands: nothing here needs the Pulumi CLI, a Pulumi backend or a Kubernetes cluster.
STACK ?= dev
CATALOG ?=
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(PY) -m cli
CATALOG_OPT := $(if $(CATALOG),--catalog $(CATALOG),)
PYTEST_ARGS ?=
LABELS ?=
AT ?=
POLICY_CONFIG ?=
SINCE ?=
ALERTMANAGER ?=
N ?= 1000

.PHONY: setup venv tools render check plan route policy audit test fuzz schema bench bench-eval clean help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: venv tools ## Virtualenv with the pinned dependencies, the real tools, Helm and sysdig in .tools/ (idempotent)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

tools: .tools/VERSIONS .tools/bin/helm .tools/bin/sysdig

.tools/VERSIONS: scripts/setup-tools.sh scripts/setup-postgres.sh scripts/debian-unstable.sh
	scripts/setup-tools.sh

.tools/bin/helm: scripts/setup-helm.sh
	scripts/setup-helm.sh

.tools/bin/sysdig: scripts/setup-sysdig.sh scripts/debian-unstable.sh
	scripts/setup-sysdig.sh

render: venv ## Write build/$(STACK)/ (STACK=dev|prod, optional CATALOG=path.yaml)
	$(CLI) render --stack $(STACK) $(CATALOG_OPT)

check: setup ## Validate build/$(STACK)/ with amtool, promtool, vmalert and the schemas
	$(CLI) check --stack $(STACK)

plan: setup ## The main job offline: run the program under mocks, print its resources, render and check
	$(CLI) plan --stack $(STACK) $(CATALOG_OPT)

route: venv ## Receivers an alert reaches: LABELS="team=... service=... severity=..." [AT=2026-12-07T03:00:00Z]
	@test -n "$(LABELS)" || { echo 'usage: make route STACK=dev LABELS="team=payments service=checkout severity=critical" [AT=<ISO-8601>]' >&2; exit 2; }
	@$(CLI) route --stack $(STACK) $(CATALOG_OPT) $(if $(AT),--at '$(AT)',) $(LABELS)

policy: venv ## The CrossGuard pack in policies/ against the program's resources (optional POLICY_CONFIG=file.json)
	$(CLI) policy --stack $(STACK) $(if $(POLICY_CONFIG),--policy-pack-config $(POLICY_CONFIG),)

audit: venv ## Compliance report: config changes, guardrail exceptions, silences, OnCall acks [SINCE=YYYY-MM-DD] [ALERTMANAGER=http://...] [ONCALL=https://... ONCALL_TOKEN_FILE=path]
	@$(CLI) audit --stack $(STACK) $(if $(SINCE),--since $(SINCE),) $(if $(ALERTMANAGER),--alertmanager $(ALERTMANAGER),) $(if $(ALERTMANAGER_CA),--alertmanager-ca $(ALERTMANAGER_CA),) $(if $(ONCALL),--oncall $(ONCALL),) $(if $(ONCALL_TOKEN_FILE),--oncall-token-file $(ONCALL_TOKEN_FILE),)

test: setup ## The whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

fuzz: setup ## Long run of the catalog fuzz suite: N=10000 cases; prints its figures, keeps failing inputs in build/fuzz/
	$(PY) scripts/fuzz.py --cases $(N)

bench: setup ## Render and check a synthetic org of 200 teams, 2,000 services, 6,000 SLOs; print each phase's time
	$(PY) scripts/bench.py

bench-eval: setup ## Replay an SLO's rules over 5,000 series on VictoriaMetrics: cascaded vs direct cost, equal alerts
	$(PY) scripts/bench_eval.py

schema: venv ## Write schema/catalog.schema.json for editor completion
	$(CLI) schema

clean: ## Remove build output (keeps .venv and .tools)
	rm -rf build
