# The two commands the README promises: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Debian packages the tests need: PDF rendering (pdftoppm), the report font and the browser the
# portal's tests drive.
SYSTEM_PACKAGES ?= poppler-utils:pdftoppm fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf chromium:chromium

.PHONY: setup demo test lint lock clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(VENV)/.system:
	bash devtools/ensure-system.sh $(SYSTEM_PACKAGES)
	@mkdir -p $(VENV) && touch $@

# requirements-dev.txt is the lock: every package, transitive ones included, pinned with its
# hashes. The project itself goes in apart, editable and so unhashed, and brings nothing with it.
$(PY_STAMP): $(VENV)/.system requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(NODE_STAMP): $(VENV)/.system package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	bash devtools/vendor-portal.sh
	touch $@

demo: setup
	$(BIN)/python -m devtools.demo $(ARGS)

test: setup
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Compiles the human-edited lists into the locks: requirements.in into requirements.txt (what the
# Functions app is deployed with), then requirements-dev.in into requirements-dev.txt, held to the
# runtime lock's versions. Resolved for Linux x86_64 and Python 3.11 (CI, Azure) wherever it runs.
# Pins already in a lock stay while they fit; LOCK_ARGS=--upgrade, or --upgrade-package NAME,
# moves them on.
LOCK_ARGS ?=
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" $(LOCK_ARGS)

lock: $(PY_STAMP)
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) node_modules .devstack demo-out .pytest_cache .ruff_cache .mypy_cache
