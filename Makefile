# Two commands do all set-up on a fresh machine:
#   make demo   run the main job end to end on the embedded default (DuckDB + local folder)
#   make test   run the whole test suite
# Both install what they need first (uv, then the locked environment in .venv).

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(PYTHON) -m uv
RUN := $(UV) run --locked
FP := $(RUN) flightprice

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: demo test install lint data pipeline model status clean

.venv/.installed: pyproject.toml uv.lock
	$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --locked
	touch $@

install: .venv/.installed

data: install
	$(FP) init
	$(FP) generate

pipeline: data
	$(FP) ingest
	$(FP) transform
	$(FP) quality

status: install
	$(FP) status

model: pipeline
	$(FP) train --compare --promote
	$(FP) report

demo: model status

test: install
	$(RUN) pytest

lint: install
	$(UV) run --locked --group dev ruff check src flows api tests

clean:
	rm -rf .flightprice
