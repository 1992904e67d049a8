# Each target builds its own virtual environment from nothing but Python 3.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint bench clean

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

bench: $(BIN)/activate
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
