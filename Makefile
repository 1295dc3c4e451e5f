# The two commands: `make demo` and `make test`. Both set everything up first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup test lint demo bench bench-quick bench-scale clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check roomctl tests scripts bench
	$(BIN)/ruff format --check roomctl tests scripts bench
	$(BIN)/mypy --strict roomctl bench

test: lint
	$(BIN)/pytest

demo: setup
	$(BIN)/roomctl demo

# Issue 6's, 11's, 13's, 14's and 15's figures beside their baselines: a real Mosquitto,
# `roomctl run` and simulated lights; a table on stdout and bench.json. About 7 minutes;
# bench-quick about 2. `python -m bench [--quick] --only backlog` runs issue 14's rows
# alone; `--only console` issue 11's (20 Chromium pages, button and API commands, the
# console's memory; bench-console.json); `--only sites` issue 13's (a central broker,
# two bridged sites; bench-sites.json).
bench: setup
	$(BIN)/python -m bench

bench-quick: setup
	$(BIN)/python -m bench --quick

# Issue 15's pause rows (round trip, reply and last light's freeze, each run against 4 x
# its own RTT p99), cue timing (50 rooms x 6 lights, 60 s) and scale rows (50, 200 and
# 500 rooms, with threads and peak RSS) five times, each run and the worst, each cue
# figure beside the machine's own stalls (bench/stalls.py); bench-scale.json.
# About 13 minutes. `--rooms 10,25 --runs 2` chooses other sizes.
bench-scale: setup
	$(BIN)/python -m bench --only scale

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
