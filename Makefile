# The two commands: `make demo` and `make test`. Both set everything up first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup test lint demo bench bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check roomctl tests scripts
	$(BIN)/ruff format --check roomctl tests scripts
	$(BIN)/mypy --strict roomctl

test: lint
	$(BIN)/pytest

demo: setup
	$(BIN)/roomctl demo

# Issue 6's and 14's figures beside their baselines: a real Mosquitto, `roomctl run` and
# simulated lights; a table on stdout and bench.json. Under 6 minutes; bench-quick under 1.
# `scripts/bench.py [--quick] --only backlog` runs issue 14's rows alone.
bench: setup
	$(BIN)/python scripts/bench.py

bench-quick: setup
	$(BIN)/python scripts/bench.py --quick

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
