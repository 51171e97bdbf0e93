# Two entry points for a fresh machine (see README.md):
#   make run   - install, build content/ and serve it locally at http://127.0.0.1:8000
#   make test  - install everything the suite needs and run it
# Both create .venv themselves; `make test` also installs Debian's chromium (browser tests)
# and the pinned CDK CLI from npm (synth test).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: run test install install-dev chromium node deploy synth bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.run-installed

install: $(VENV)/.run-installed
install-dev: $(VENV)/.dev-installed

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.installed

run: install
	$(BIN)/notes serve

test: install-dev chromium node
	$(BIN)/python -m pytest -q

deploy: install-dev node
	npx cdk deploy

synth: install-dev node
	npx cdk synth

bench: install-dev
	$(BIN)/python bench/build.py
	$(BIN)/python bench/deploy.py

lint: install-dev
	$(BIN)/ruff check site_builder infra tests bench app.py

clean:
	rm -rf build cdk.out .notes-cache
