# newswatch — the two commands that matter: `make demo` and `make test`.
# Everything installs itself into .venv/ from pinned versions: requirements.lock (runtime) and
# requirements-test.lock (test and lint tools on top of it).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ONLY ?=

.PHONY: demo run test bench venv lint docs clean lock chromium

$(STAMP): pyproject.toml requirements.lock requirements-test.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip==25.3 setuptools==84.2.1 wheel==0.48.0
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

## Debian's Chromium (+ a Korean font) for the browser tests and JS-rendered outlets (never `playwright install`)
chromium:
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/opentype/noto || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	  else echo "install Debian's chromium (sudo apt-get install chromium): browser tests will skip"; fi; }

## the offline demo: bundled sites on 127.0.0.1 -> crawl -> match -> SQLite -> mail in var/outbox/
demo: $(STAMP)
	$(VENV)/bin/newswatch demo

## the same cycle over the real registry (needs internet)
run: $(STAMP)
	$(VENV)/bin/newswatch crawl --all
	$(VENV)/bin/newswatch send

## the whole test suite (unit, integration crawls on local servers, PostgreSQL, SMTP)
test: lint chromium
	$(PY) -m pytest -q

## benchmarks: a table on stdout, figures merged into $NEWSWATCH_HOME/bench/results.json
bench: $(STAMP)
	$(PY) -m bench $(if $(ONLY),--only $(ONLY),)

## the README's generated parts (configuration table, outlet table) and deploy/newswatch.env.example
docs: $(STAMP)
	$(PY) -m crawler.config --readme --write
	$(PY) -m crawler.config --env-example --write
	$(PY) -m crawler.registry_docs

## style (ruff), the layering contract of README's Layout (import-linter) and types (mypy)
lint: $(STAMP)
	$(VENV)/bin/ruff check crawler spiders pipelines settings tests bench
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

## re-pin after changing pyproject.toml: the runtime set from a venv holding only the project's
## dependencies, then the test tools (what the full venv has beyond it)
lock: $(STAMP)
	rm -rf build/lockvenv && $(PYTHON) -m venv build/lockvenv
	build/lockvenv/bin/pip install -q --disable-pip-version-check -U pip==25.3
	build/lockvenv/bin/pip install -q --disable-pip-version-check .
	{ echo "# Runtime dependencies, every one pinned (what the container image and a scrapyd host install)."; \
	  echo "# Re-pin: \`make lock\`."; \
	  build/lockvenv/bin/pip freeze | grep -v -i -e '^newswatch' -e '^pip=='; } > requirements.lock
	{ echo "# Test and lint tools, pinned; on top of the runtime lock."; echo "-r requirements.lock"; \
	  $(PY) -m pip freeze --exclude-editable | grep -v -i -e '^newswatch' | grep -v -x -i -F -f requirements.lock; } > requirements-test.lock
	rm -rf build/lockvenv

clean:
	rm -rf $(VENV) build *.egg-info
