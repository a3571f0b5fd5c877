# The two commands of the README: `make run` and `make test`. Both create the virtual
# environment and install flowbot into it first, so they work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps run test test-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Programs flowbot runs that pip cannot install: Graphviz's `dot` draws `bot graph --format svg`
# (Debian's package; run as root). `make run` and `make test` install it first.
system-deps:
	@command -v dot >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends graphviz; }

run: install system-deps
	$(BIN)/bot serve bots/support

test: install system-deps
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow" -x -q

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
