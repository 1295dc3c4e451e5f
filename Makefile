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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
