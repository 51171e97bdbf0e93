# Two entry points for a fresh machine (see README.md):
#   make run   - install, then `notes up`: build content/, publish it to an embedded S3 bucket
#                (http://127.0.0.1:4566) and serve it like the S3 website endpoint at
#                http://127.0.0.1:8000; edits under content/ are rebuilt and redeployed.
#                Other ports: make run UP_ARGS="--port 8001 --s3-port 4567"
#   make test  - install everything the suite needs and run it
#   make docs  - serve the manual (docs/, a notes project) at http://127.0.0.1:8000 while you
#                edit it; other port: make docs DOCS_ARGS="--port 8001"
# Both create .venv themselves; `make test` also installs Debian's chromium (browser tests)
# and the pinned CDK CLI from npm (synth test). `make deploy`/`make synth` install the `cdk`
# extra (aws-cdk-lib, constructs, cdk-nag) and the pinned CDK CLI.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: run test install install-cdk install-dev chromium node vendor deploy synth bench lint clean \
	docs docs-reference screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.cdk-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[cdk]'
	touch $@ $(VENV)/.run-installed

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.cdk-installed $(VENV)/.run-installed

install: $(VENV)/.run-installed
install-cdk: $(VENV)/.cdk-installed
install-dev: $(VENV)/.dev-installed

# NOTES_CHROMIUM=/path/to/chrome uses that browser instead (CI: ubuntu-latest's Chrome, where
# apt's chromium is a snap shim that does not run).
chromium:
	@if [ -n "$$NOTES_CHROMIUM" ]; then \
	  test -x "$$NOTES_CHROMIUM" || { echo "NOTES_CHROMIUM=$$NOTES_CHROMIUM is not an executable" >&2; exit 1; }; \
	else \
	  command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.installed

# The mermaid pinned in package.json, copied into the package (pages never load from a CDN,
# and `make run` needs no npm); tests/test_reader_pages.py checks the copy matches the pin.
# The same for the callouts' Lucide icons (tests/test_obsidian.py).
vendor: node
	cp node_modules/mermaid/dist/mermaid.min.js site_builder/site/static/vendor/mermaid.min.js
	cp node_modules/mermaid/LICENSE site_builder/site/static/vendor/mermaid.LICENSE
	for icon in site_builder/markdown/callout_icons/*.svg; do \
		cp node_modules/lucide-static/icons/$$(basename $$icon) $$icon; done
	cp node_modules/lucide-static/LICENSE site_builder/markdown/callout_icons/LICENSE

UP_ARGS ?=

run: install
	$(BIN)/notes up $(UP_ARGS)

test: install-dev chromium node
	$(BIN)/python -m pytest -q -n 2

DOCS_ARGS ?=

# The manual is a notes project of its own: docs/notes.toml, notes in docs/content/.
docs: install
	cd docs && ../$(BIN)/notes serve $(DOCS_ARGS)

# docs/content/reference/ from the code (tests/test_docs.py checks it is up to date).
docs-reference: install
	$(BIN)/python docs/tools/reference.py

# docs/content/assets/screenshot.png: a note of the sample site, in headless chromium.
screenshot: install-dev chromium
	$(BIN)/python docs/tools/screenshot.py

deploy: install-cdk node
	npx cdk deploy

synth: install-cdk node
	npx cdk synth

bench: install-dev
	$(BIN)/python bench/build.py
	$(BIN)/python bench/deploy.py

lint: install-dev
	$(BIN)/ruff check site_builder infra tests bench docs/tools app.py

clean:
	rm -rf build cdk.out .notes-cache docs/build docs/.notes-cache
