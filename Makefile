# Each target builds its own virtual environment from nothing but Python 3.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# The oldest scikit-learn the project supports (pyproject.toml), tested by test-oldest.
OLDEST_SKLEARN = 1.6.1
OLDEST = .venv-oldest

.PHONY: demo test test-oldest test-boundscheck lint bench clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[tests]"
	touch $(BIN)/activate

demo: $(BIN)/activate
	$(BIN)/python examples/demo.py

lint: $(BIN)/activate
	$(BIN)/ruff check sklearn_bp tests benchmarks examples
	$(BIN)/ruff format --check sklearn_bp tests benchmarks examples

test: lint
	$(BIN)/python -m pytest -q

# The tests that run the compiled loops, with every array access bounds-checked
# (an IndexError instead of a silent out-of-bounds read or write). test_jit.py's
# cases run in child processes with numba's settings of their own.
test-boundscheck: $(BIN)/activate
	NUMBA_BOUNDSCHECK=1 $(BIN)/python -m pytest -q tests --ignore=tests/test_jit.py

$(OLDEST)/bin/activate: pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -e ".[tests]" "scikit-learn==$(OLDEST_SKLEARN)"
	touch $(OLDEST)/bin/activate

test-oldest: $(OLDEST)/bin/activate
	$(OLDEST)/bin/python -m pytest -q

bench: $(BIN)/activate
	$(BIN)/python benchmarks/run.py

# Also numba's cache of the compiled loops, kept in sklearn_bp/__pycache__.
clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info .pytest_cache
	find sklearn_bp \( -name '*.nbi' -o -name '*.nbc' \) -delete
