# The two commands the README promises: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Debian packages the tests need: PDF rendering (pdftoppm), the report font and the browser the
# portal's tests drive.
SYSTEM_PACKAGES ?= poppler-utils:pdftoppm fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf chromium:chromium

.PHONY: setup demo test lint clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(VENV)/.system:
	bash devtools/ensure-system.sh $(SYSTEM_PACKAGES)
	@mkdir -p $(VENV) && touch $@

$(PY_STAMP): $(VENV)/.system requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
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


clean:
	rm -rf $(VENV) node_modules .devstack demo-out .pytest_cache .ruff_cache .mypy_cache
