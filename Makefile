# Two commands: `make run` serves on http://127.0.0.1:5000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the NHS.UK frontend's CSS, JS and images, served by the web pages (never from a CDN)
ASSETS := recommender/web/static/nhsuk/.built

.PHONY: install run test lint bench clean chromium fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned to the local CPU build: a bare requirement would pull CUDA (GBs)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json recommender/web/build_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) recommender/web/build_assets.py node_modules/nhsuk-frontend recommender/web/static/nhsuk

# the browser tests drive Debian's chromium (as root; Playwright never downloads a browser)
chromium:
	test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

install: $(STAMP) $(ASSETS)

run: $(STAMP) $(ASSETS)
	$(BIN)/recommender run

test: $(STAMP) $(ASSETS) chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	# one pytest process per core (pytest-xdist), each test file kept in one process: a file's
	# tests share its module fixtures and its own Redis database number
	$(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# the fast set: each scale benchmark's --quick run (a few minutes in all); every script's
# docstring gives its full-size run, and docs/performance.md the figures and how they were made
bench: $(STAMP)
	$(BIN)/python benchmarks/index_build.py --quick
	$(BIN)/python benchmarks/recommend.py --quick
	$(BIN)/python benchmarks/http_recommend.py --quick
	$(BIN)/python benchmarks/wsgi_recommend.py --quick
	$(BIN)/python benchmarks/memory.py --quick
	$(BIN)/python benchmarks/index_types.py --quick

# coverage-guided fuzzing of each importer (atheris), FUZZ_SECONDS each (default 60); the
# corpus grows in var/fuzz/<format>, a crashing input is saved there as crash-<hash>.
# `make test` runs a bounded pass of each (tests/test_fuzz.py)
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	for f in csv jsonl jsonld oai-pmh profile; do \
	  mkdir -p var/fuzz/$$f && \
	  $(BIN)/python fuzz/fuzz_$$(echo $$f | tr -d -).py -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=var/fuzz/$$f/ var/fuzz/$$f fuzz/seeds/$$f || exit 1; \
	done

clean:
	rm -rf var .pytest_cache tests/artifacts
