# One command to run the WMS, one to test it. Everything is installed into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ORACLE := tests/oracle
WMS_PORT ?= 8000

.PHONY: run test setup lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The suite also checks our routing against OR-Tools (the optional `bench` extra).
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/wms demo --port $(WMS_PORT)

# Test oracles and real peers the project did not write: a ZPL renderer (npm), pdftoppm
# (poppler), a CUPS server with lpr for the cups:// printer path, and Chromium for the console.
$(ORACLE)/node_modules/.installed: $(ORACLE)/package.json
	cd $(ORACLE) && npm install --no-audit --no-fund --silent
	touch $@

DEBS := poppler-utils cups cups-bsd chromium
oracles: $(ORACLE)/node_modules/.installed
	@if ! command -v pdftoppm >/dev/null || ! command -v cupsd >/dev/null || ! command -v lpr >/dev/null || ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBS)) >/dev/null; \
	  else echo "missing test tools: sudo apt-get install $(DEBS)"; exit 1; fi; fi

test: $(STAMP) $(BENCH_STAMP) oracles
	$(VENV)/bin/ruff check wms terminal printers tests
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=15

lint: $(STAMP)
	$(VENV)/bin/ruff check wms terminal printers tests

clean:
	rm -rf $(VENV) var $(ORACLE)/node_modules
