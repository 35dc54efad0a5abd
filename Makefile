# Two commands matter: `make run` (the whole platform, in the foreground) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := intake dispatch inventory billing fracas
STAMP := $(VENV)/.installed

.PHONY: run test e2e bench venv clean schemas

$(STAMP): shared/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml) requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e "shared[postgres,testing]" $(foreach s,$(SERVICES),-e services/$(s))
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) deploy/run_local.py

test: $(STAMP)
	$(PY) tools/run_tests.py

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) bench/bench_messaging.py

schemas: $(STAMP)
	$(PY) -m aftersales_shared.export_schemas docs/events $(SERVICES)

clean:
	rm -rf $(VENV) var
