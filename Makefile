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

# The whole suite, spread over the machine's cores (pytest-xdist).
test: lint
	$(BIN)/python -m pytest -q -n auto

# The training tests, with every array access of the compiled loops bounds-checked
# (an IndexError instead of a silent out-of-bounds read or write).
BOUNDSCHECKED_TESTS = tests/test_sgd.py tests/test_reference.py \
	tests/test_training_loop.py tests/test_sample_weights.py tests/test_estimators.py
test-boundscheck: $(BIN)/activate
	NUMBA_BOUNDSCHECK=1 $(BIN)/python -m pytest -q -n auto -o addopts="" $(BOUNDSCHECKED_TESTS)

$(OLDEST)/bin/activate: pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -e ".[tests]" "scikit-learn==$(OLDEST_SKLEARN)"
	touch $(OLDEST)/bin/activate

# What depends on scikit-learn's version: its estimator checks, the estimators' API,
# meta-estimators, routing, tags and callbacks, on the oldest scikit-learn supported.
SKLEARN_FACING_TESTS = tests/test_common.py tests/test_estimators.py \
	tests/test_sklearn_integration.py tests/test_callbacks.py tests/test_class_weight.py \
	tests/test_output_head_api.py tests/test_continued_training.py tests/test_docstrings.py
test-oldest: $(OLDEST)/bin/activate
	$(OLDEST)/bin/python -m pytest -q -n auto -o addopts="" $(SKLEARN_FACING_TESTS)

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
