# Each target builds its own virtual environment from nothing but Python 3.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# The oldest scikit-learn the project supports (pyproject.toml), tested by test-oldest.
OLDEST_SKLEARN = 1.6.1
OLDEST = .venv-oldest

.PHONY: demo test test-oldest test-boundscheck lint bench docs clean

$(BIN)/activate: pyproject.toml
	@echo "Installing sklearn-bp and its test extras into $(VENV) (a few minutes, once)..."
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

# The training tests, with every array access of the compiled loops bounds-checked
# (an IndexError instead of a silent out-of-bounds read or write).
BOUNDSCHECKED_TESTS = tests/test_sgd.py tests/test_reference.py \
	tests/test_training_loop.py tests/test_sample_weights.py tests/test_estimators.py
test-boundscheck: $(BIN)/activate
	NUMBA_BOUNDSCHECK=1 $(BIN)/python -m pytest -q -o addopts="" $(BOUNDSCHECKED_TESTS)

$(OLDEST)/bin/activate: pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -e ".[tests]" "scikit-learn==$(OLDEST_SKLEARN)"
	touch $(OLDEST)/bin/activate

test-oldest: $(OLDEST)/bin/activate
	$(OLDEST)/bin/python -m pytest -q

# The site in docs/_build/html: API reference from the docstrings, and the gallery,
# whose examples run during the build. Any warning fails it.
docs: $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(BIN)/activate
	$(BIN)/python benchmarks/run.py

# Also numba's cache of the compiled loops, kept in sklearn_bp/__pycache__.
clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info .pytest_cache
	rm -rf docs/_build docs/generated docs/auto_examples
	find sklearn_bp \( -name '*.nbi' -o -name '*.nbc' \) -delete
