# The two set-up commands of the README: `make demo` (main job) and `make test` (test suite).
# Each creates .venv if needed, installs the package into it and runs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# torch comes first from the local CPU wheel, so that nothing pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: demo test test-slow install install-core bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The main job needs the core only; the tests also exercise every adapter family and Ray.
install-core: $(BIN)/python
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[torch,parquet,hf]"

install: install-core
	$(BIN)/python -m pip install --quiet -e ".[test,torch,hf,diffusers,http,parquet,ray]"

demo: install-core
	$(BIN)/gapeval demo

# pytest exits 5 when it collected no test: that must fail, not pass silently.
# Two worker processes (pytest-xdist), each running whole modules so that a module's fixtures are built once,
# in the order tests/conftest.py collects them (--no-loadscope-reorder, pytest-xdist >= 3.8: xdist otherwise starts
# the modules with the most tests first, and the minutes-long demo module, which has few, ran last).
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

test-slow: install
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
