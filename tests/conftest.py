import os
import textwrap
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def global_random_seed():
    """A seed the whole suite can be rerun under: SKLEARN_TESTS_GLOBAL_RANDOM_SEED."""
    return int(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", 42))


@pytest.fixture
def rng(global_random_seed):
    return np.random.RandomState(global_random_seed)


@pytest.fixture
def user_guide_example():
    """The code of the first example under a heading of docs/user_guide.rst."""

    def example(heading):
        guide = Path(__file__).parents[1] / "docs" / "user_guide.rst"
        section = guide.read_text().split(f"\n{heading}\n", 1)[1]
        lines = section.split(".. code-block:: python\n", 1)[1].splitlines()
        block = []
        for line in lines:
            if line and not line.startswith(" "):
                break
            block.append(line)
        return textwrap.dedent("\n".join(block))

    return example
