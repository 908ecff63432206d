# jira-port developer entry points. `make demo` and `make test` bootstrap .venv themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=
export SAM_CLI_TELEMETRY := 0
export POWERTOOLS_METRICS_NAMESPACE ?= JiraPort

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements-dev.txt layers/jira_port/requirements.in layers/jira_port/requirements.txt scripts/find-python.sh
	@py=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
	  echo "creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV) || exit 1; fi
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r layers/jira_port/requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import jira_port, jq, aws_lambda_powertools, moto' || { echo "dependency install failed"; exit 1; }
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv with pinned dependencies and jira-port installed (editable)

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/jira_port/jira_port tools/jira_port_tools tools/jira_port_emulators functions tests bench

format: $(STAMP) ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

unit: $(STAMP) ## Unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test: lint ## Lint, type-check and run the whole test suite
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

demo: $(STAMP) ## The whole product locally: local Jira + local Port, backfill, live events
	$(VENV)/bin/jira-port demo

bench: $(STAMP) ## Run all benchmarks and rewrite docs/benchmarks.md
	$(PY) -m bench

build: ## sam build (python3.13/arm64, no Docker; your sam if new enough, else a pinned one in .tools-venv)
	scripts/sam-tools.sh build

deploy: ## sam build + sam deploy; guided the first time (answers saved to samconfig.local.toml)
	+scripts/deploy.sh $(if $(findstring n,$(firstword -$(MAKEFLAGS))),--print-only) $(DEPLOY_ARGS)

lock: $(STAMP) ## Re-lock the layer: layers/jira_port/requirements.txt (all transitive pins, hashed) from requirements.in
	cd layers/jira_port && ../../$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-trusted-host --no-emit-find-links --output-file requirements.txt requirements.in

mapping-data: $(STAMP) ## Rewrite what the layer derives from its bundled mappings: the default's JSON copy, the proof table
	$(PY) -m jira_port_tools.mapping_data

validate: $(STAMP) ## cfn-lint (with serverless rules) and sam validate --lint, offline
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	scripts/sam-tools.sh validate --lint

clean: ## Remove build output and caches (keeps .venv)
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: help venv lint format unit test demo bench build deploy lock mapping-data validate clean
