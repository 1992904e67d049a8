import os

import numpy as np
import pytest


@pytest.fixture
def global_random_seed():
    """A seed the whole suite can be rerun under: SKLEARN_TESTS_GLOBAL_RANDOM_SEED."""
    return int(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", 42))


@pytest.fixture
def rng(global_random_seed):
    return np.random.RandomState(global_random_seed)
