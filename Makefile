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
export MLFLOW_DISABLE_TELEMETRY ?= true

.PHONY: demo test install lint audit data pipeline model api prices stop-api status clean

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

# The pricing API in the background (log: .flightprice/api.log; `make stop-api` ends it),
# restarted so that it serves the current champion; the smoke test waits until it is up.
API_PID := .flightprice/api.pid
api: install
	@if [ -f $(API_PID) ]; then kill $$(cat $(API_PID)) 2>/dev/null || true; rm -f $(API_PID); sleep 1; fi
	@mkdir -p .flightprice
	@nohup .venv/bin/flightprice serve > .flightprice/api.log 2>&1 & echo $$! > $(API_PID)
	$(FP) smoke-test --wait 60

# Every flight on sale priced through the API's batch endpoint (the scoring job's design).
prices: model api
	$(FP) score --mode api

demo: prices status
	@echo "The pricing API is up on http://127.0.0.1:8000 (docs: /docs). Try:"
	@echo "  curl -s -X POST http://127.0.0.1:8000/v1/price -H 'content-type: application/json' -d @docs/example-quote.json"
	@echo "Stop it with: make stop-api"

stop-api:
	@if [ -f $(API_PID) ]; then kill $$(cat $(API_PID)) 2>/dev/null || true; rm -f $(API_PID); fi

# Two workers, a test file at a time each (module fixtures are built once): most tests wait on
# a server, a subprocess or dbt, so a single process leaves one of two cores idle.
test: install
	$(RUN) pytest -n 2 --dist loadfile

# The three deployments on their crons, a worker and the Prefect UI on http://127.0.0.1:4200.
schedule: install
	$(FP) init
	$(FP) schedule

schedule-stop: install
	$(FP) schedule stop

# Python, then SQL (.sqlfluff): the dbt models through the dbt templater, compiled offline
# against an in-memory DuckDB; the warehouse setup scripts as plain SQL.
lint: install
	$(UV) run --locked --group dev ruff check src flows api tests
	FLIGHTPRICE_DUCKDB_PATH=:memory: $(UV) run --locked --group dev sqlfluff lint dbt/models
	$(UV) run --locked --group dev sqlfluff lint --templater raw sql

# Known vulnerabilities in every locked dependency (uv.lock, all groups), from PyPI's advisory
# database: needs network; pip-audit resolves nothing (--no-deps), it reads the pins.
AUDIT_REQS := .flightprice/audit-requirements.txt
audit: install
	@mkdir -p .flightprice
	$(UV) export --locked --all-groups --no-emit-project --format requirements-txt -o $(AUDIT_REQS) >/dev/null
	$(UV) run --locked --group dev pip-audit --strict --disable-pip --no-deps -r $(AUDIT_REQS)

clean:
	rm -rf .flightprice
