# Two commands matter: `make run` (the whole platform, in the foreground) and `make test`.
# The operators' CLI is .venv/bin/aftersales (see `aftersales --help`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := intake dispatch inventory billing fracas
STAMP := $(VENV)/.installed

.PHONY: run test e2e bench bench-quick faults wrk venv clean schemas

$(STAMP): shared/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml) ops/pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e "shared[postgres,testing]" $(foreach s,$(SERVICES),-e services/$(s)) -e ops
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) deploy/run_local.py

test: $(STAMP)
	$(PY) tools/run_tests.py

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

# The fault suite at full scale (1,000 tickets per scenario, a 60 s database outage): prints the table
# and writes var/faults/report.{md,json}; FAULTS_ARGS adds options (e.g. --only 1,4 --tickets 200).
# Its short form runs in `make test` (tests/faults).
faults: $(STAMP)
	$(PY) tests/faults/run_faults.py $(FAULTS_ARGS)

# The full benchmark writes var/bench/report.{md,json} and prints the markdown; BENCH_ARGS adds options
# (see `$(PY) bench/bench.py --help`).
bench: $(STAMP) wrk
	$(PY) bench/bench.py $(BENCH_ARGS)
	$(PY) bench/dispatch_assignment.py

bench-quick: $(STAMP)
	$(PY) bench/bench.py --quick $(BENCH_ARGS)

# wrk generates the HTTP load (a Debian package); without it the benchmark falls back to a Python generator.
wrk:
	@command -v wrk >/dev/null 2>&1 || { echo "installing wrk"; \
	  { apt-get install -y -q wrk || { apt-get update -q && apt-get install -y -q wrk; }; } >/dev/null 2>&1 || \
	  echo "could not install wrk; the HTTP stage will use the Python load generator"; }

schemas: $(STAMP)
	$(PY) -m aftersales_shared.export_schemas docs/events $(SERVICES)

clean:
	rm -rf $(VENV) var
